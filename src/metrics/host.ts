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
  /** Peak resident set size (/proc's VmHWM; getrusage's ru_maxrss where /proc is closed), bytes. */
  peakRssBytes: number;
  /** User + system CPU seconds of the process (all threads) so far, or over the training. */
  cpuSeconds: number;
}

/**
 * Read this process's usage: CPU from getrusage (node:process: all threads, no permission
 * needed); peak RSS from /proc/self/status's VmHWM (`status`: its text, read by a caller that
 * may; else read here, which Deno allows only under `--allow-all`), else getrusage's ru_maxrss.
 * ru_maxrss is only the fallback: Linux carries it across exec, so a process started by a
 * larger one (a benchmark script, a launcher) would report the starter's peak as its own.
 */
export function processUsage(status?: string): ProcessUsage {
  const cpu = process.cpuUsage();
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status ?? readOr("/proc/self/status"))?.[1];
  return {
    peakRssBytes: (hwm !== undefined ? Number(hwm) : process.resourceUsage().maxRSS) * 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
