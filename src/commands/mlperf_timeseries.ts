/**
 * mlpstorage's `<type>_<ts>_timeseries.json`: this host's CPU use and memory sampled
 * every `interval` seconds while a run goes (at most `max` samples, as
 * `--max-timeseries-samples`), written into the run's leaf and named in its metadata.
 * @module
 */
import { join } from "node:path";
import { cpus } from "node:os";

/** One sample of the host. */
interface Sample {
  timestamp: string;
  cpu_percent: number;
  memory_used_bytes: number;
  memory_available_bytes: number;
}

// Deno reads /proc only with --allow-all: CPU times and memory come through node:os and Deno.
function cpuTicks(): { busy: number; total: number } {
  let busy = 0, total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/** Sample the host every `interval` s until `stop()`; returns what stop() writes. */
export function startTimeseries(interval = 10, max = 3600) {
  const samples: Sample[] = [];
  let last = cpuTicks();
  const take = () => {
    if (samples.length >= max) return;
    try {
      const now = cpuTicks(), m = Deno.systemMemoryInfo();
      const dt = now.total - last.total;
      samples.push({
        timestamp: new Date().toISOString(),
        cpu_percent: dt > 0 ? (100 * (now.busy - last.busy)) / dt : 0,
        memory_used_bytes: m.total - m.available,
        memory_available_bytes: m.available,
      });
      last = now;
    } catch { /* not permitted (--allow-sys): no sample */ }
  };
  take();
  const timer = setInterval(take, interval * 1000);
  Deno.unrefTimer(timer);
  return {
    /** Stop sampling; write `<type>_<stamp>_timeseries.json` into `dir`; the metadata entry. */
    async stop(dir: string, type: string, stamp: string, host: string) {
      clearInterval(timer);
      take();
      const file = `${type}_${stamp}_timeseries.json`;
      await Deno.writeTextFile(
        join(dir, file),
        JSON.stringify({ interval_seconds: interval, hosts: { [host]: samples } }, null, 2) + "\n",
      );
      return {
        file,
        num_samples: samples.length,
        interval_seconds: interval,
        hosts_collected: [host],
      };
    },
  };
}
