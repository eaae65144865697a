/**
 * Leftovers of writers that died (SIGKILL, power loss): temporary `…partial-<pid>…` files on
 * file systems, whose writer process no longer exists on this host. A rerun removes them in the
 * folders it writes (object stores: the backend aborts its orphaned multipart uploads instead).
 * @module
 */
import { join } from "node:path";

const PARTIAL = /\.partial-(\d+)(?:-\d+)?$/;

/** Whether a process id is alive on this host. */
function alive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Remove dead writers' partial files under `dir` (recursively); returns how many. */
export async function removeDeadPartials(dir: string): Promise<number> {
  let removed = 0;
  const walk = async (d: string): Promise<void> => {
    let entries: Deno.DirEntry[] = [];
    try {
      for await (const e of Deno.readDir(d)) {
        if (e.isDirectory) await walk(join(d, e.name));
        else if (e.isFile) entries.push(e);
        if (entries.length >= 1024) entries = await sweep(d, entries);
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    await sweep(d, entries);
  };
  const sweep = async (d: string, entries: Deno.DirEntry[]): Promise<Deno.DirEntry[]> => {
    for (const e of entries) {
      const m = PARTIAL.exec(e.name);
      if (!m || alive(Number(m[1]))) continue;
      await Deno.remove(join(d, e.name)).catch(() => {});
      removed++;
    }
    return [];
  };
  await walk(dir);
  return removed;
}

/** A rerun's clean-up of a folder it writes; says what it removed. */
export async function cleanLeftovers(
  backend: { root: string; cleanLeftovers?(prefix: string): Promise<number> },
  log: (line: string) => void,
  prefix = "",
): Promise<number> {
  const n = (await backend.cleanLeftovers?.(prefix)) ?? 0;
  if (n > 0) {
    log(
      `removed ${n} leftover${n === 1 ? "" : "s"} of an interrupted earlier run in ` +
        `${backend.root}${prefix ? "/" + prefix : ""} (partial files of dead writers, or ` +
        "multipart uploads never completed)",
    );
  }
  return n;
}
