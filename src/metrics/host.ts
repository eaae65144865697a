/**
 * Host facts for DLIO's summary (`host_cpu_count`, `host_memory_GB`, /proc parsing).
 * @module
 */
import process from "node:process";

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

/** This host's /proc/meminfo now (DLIO records it per epoch in `<rank>_output.json`). */
export function hostMeminfo(): Record<string, string> {
  return linesToDict(readOr("/proc/meminfo"));
}

/** Read this host's facts. */
export function hostInfo(): HostInfo {
  const cpuinfo = linesToDict(readOr("/proc/cpuinfo"));
  const meminfo = hostMeminfo();
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

/** This process's resource use: peak resident memory and CPU time (all threads), from /proc. */
export interface ProcessUsage {
  /** Peak resident set size (getrusage's ru_maxrss, as /proc's VmHWM), bytes. */
  peakRssBytes: number;
  /** User + system CPU seconds of the process (all threads) so far, or over the training. */
  cpuSeconds: number;
}

/**
 * Read this process's usage: getrusage through node:process (peak RSS and CPU of all threads).
 * Deno refuses /proc/self/* without `--allow-all`, so /proc would give zeros under the
 * `cli` task's and the demo's permissions.
 */
export function processUsage(): ProcessUsage {
  const cpu = process.cpuUsage();
  return {
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
