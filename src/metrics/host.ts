/**
 * Host facts for DLIO's summary (`host_cpu_count`, `host_memory_GB`, /proc parsing).
 * @module
 */

/** What the summary says about a host. */
export interface HostInfo {
  hostname: string;
  cpuCount: number;
  processorName: string;
  memoryGB: number;
  cpuinfo: Record<string, string>;
  meminfo: Record<string, string>;
}

function linesToDict(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) {
      const k = line.slice(0, i).trim();
      if (!(k in out)) out[k] = line.slice(i + 1).trim();
    }
  }
  return out;
}

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** Read this host's facts. */
export function hostInfo(): HostInfo {
  const cpuinfo = linesToDict(readOr("/proc/cpuinfo"));
  const meminfo = linesToDict(readOr("/proc/meminfo"));
  const kb = parseInt(meminfo["MemTotal"] ?? "0");
  return {
    hostname: Deno.hostname(),
    cpuCount: navigator.hardwareConcurrency,
    processorName: cpuinfo["model name"] ?? "unknown",
    memoryGB: kb ? kb / 1024 / 1024 : Deno.systemMemoryInfo().total / 2 ** 30,
    cpuinfo,
    meminfo,
  };
}
