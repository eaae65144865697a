/**
 * Checkpoint benchmark: dl-driver's checkpoint write and restore throughput against fio writing
 * and reading the same total size with the same block size (8 MiB), in the same run, buffered
 * with fsync and with O_DIRECT; then what zstd costs per level on random and constant data.
 * Target: ≥ 0.9 of fio uncompressed.
 *
 *   deno task bench (runs it), or: deno run -A scripts/bench_checkpoint.ts [--dir D] [--gib N]
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { fio as runFio } from "./_fio.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { dir: { type: "string", default: ".bench" }, gib: { type: "string", default: "1" } },
});
const root = resolve(values.dir!, "checkpoint");
const SIZE = Math.round(Number(values.gib) * 2 ** 30);
const cli = new URL("../cli.ts", import.meta.url).pathname;
await Deno.mkdir(root, { recursive: true });

type Report = Record<string, number | string>;

/** A checkpoint-only run of one flat model of SIZE bytes: one write, one read. */
async function dlDriver(uri: string, extra: string[] = []): Promise<Report> {
  await Deno.remove(join(root, "ck"), { recursive: true }).catch(() => {});
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      cli,
      "run",
      "workload=unet3d_h100",
      "workflow.train=False",
      "workflow.checkpoint=True",
      `model.model_size_bytes=${SIZE}`,
      "checkpoint.num_checkpoints_write=1",
      "checkpoint.num_checkpoints_read=1",
      "checkpoint.time_between_checkpoints=0",
      `checkpoint.uri=${uri}`,
      ...extra,
      "--json",
      "-q",
      "-o",
      join(root, "results"),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (out.code !== 0) throw new Error(`dl-driver: ${dec.decode(out.stderr)}`);
  return JSON.parse(dec.decode(out.stdout));
}

async function fio(rw: "write" | "read", direct: boolean): Promise<number> {
  const r = await runFio([
    "--name=ckpt",
    `--filename=${join(root, "fio.ckpt")}`,
    `--rw=${rw}`,
    "--bs=8M",
    `--size=${SIZE}`,
    "--ioengine=psync",
    `--direct=${direct ? 1 : 0}`,
    ...(rw === "write" && !direct ? ["--end_fsync=1"] : []),
    "--invalidate=0",
  ]);
  return rw === "write" ? r.write : r.read;
}

const GB = 2 ** 30;
const gbs = (b: number) => (b / 1e9).toFixed(2);
const rows = [];
console.log(`checkpoint of ${(SIZE / GB).toFixed(1)} GiB, 8 MiB blocks, one rank`);
console.log("mode                      fio write  dl-driver  ratio   fio read  dl-driver  ratio");
for (
  const [label, uri, direct, extra] of [
    ["buffered, fsync", `file://${join(root, "ck")}`, false, ["checkpoint.fsync=True"]],
    ["O_DIRECT", `direct://${join(root, "ck")}`, true, []],
  ] as const
) {
  const fw = await fio("write", direct);
  const fr = await fio("read", direct);
  await Deno.remove(join(root, "fio.ckpt")).catch(() => {});
  const r = await dlDriver(uri, [...extra]);
  // Job throughput (bytes ÷ the slowest rank's duration; one rank here), in bytes/s.
  const dw = (r.save_checkpoint_io_job_mean_GB_per_second as number) * GB;
  const dr = (r.load_checkpoint_io_job_mean_GB_per_second as number) * GB;
  rows.push({ mode: label, fio_write: fw, dl_write: dw, fio_read: fr, dl_read: dr });
  console.log(
    `${label.padEnd(24)}  ${gbs(fw).padStart(9)}  ${gbs(dw).padStart(9)}  ${
      (dw / fw).toFixed(2).padStart(5)
    }  ${gbs(fr).padStart(9)}  ${gbs(dr).padStart(9)}  ${(dr / fr).toFixed(2).padStart(5)}`,
  );
}
console.log("(GB/s = 10^9 bytes/s; target ≥ 0.9 of fio)");

console.log("\nzstd (buffered, no fsync): level, data → stored share, compress s, write GB/s");
const zstd = [];
for (const data of ["random", "constant"]) {
  for (const level of [1, 3, 9]) {
    const r = await dlDriver(`file://${join(root, "ck")}`, [
      "checkpoint.compression=zstd",
      `checkpoint.compression_level=${level}`,
      `checkpoint.randomize_tensor=${data === "random"}`,
    ]);
    const share = (r.save_checkpoint_stored_GB as number) / (r.checkpoint_size_GB as number);
    zstd.push({
      data,
      level,
      stored_share: share,
      compress_seconds: r.save_checkpoint_compress_seconds,
      write_GB_per_s: r.save_checkpoint_io_job_mean_GB_per_second,
    });
    console.log(
      `   level ${String(level).padStart(2)}, ${data.padEnd(8)} → ${
        (share * 100).toFixed(1).padStart(5)
      } %, ${(r.save_checkpoint_compress_seconds as number).toFixed(2)} s, ${
        gbs((r.save_checkpoint_io_job_mean_GB_per_second as number) * GB)
      } GB/s`,
    );
  }
}
await Deno.remove(join(root, "ck"), { recursive: true }).catch(() => {});
await Deno.writeTextFile(join(root, "bench.json"), JSON.stringify({ rows, zstd }, null, 2) + "\n");
console.log(`raw numbers in ${join(root, "bench.json")}`);
