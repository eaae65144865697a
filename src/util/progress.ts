/**
 * Progress bar on a terminal (stderr), silent otherwise or when `quiet`.
 * @module
 */
import cliProgress from "cli-progress";

/** A progress reporter. */
export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/** A progress bar over `total` units, shown only when stderr is a terminal. */
export function progressBar(
  label: string,
  total: number,
  unit: string,
  opts: { quiet?: boolean; extra?: string } = {},
): Progress {
  if (opts.quiet || !Deno.stderr.isTerminal() || total <= 0) return silent;
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% {value}/{total} ${unit}${
      opts.extra ?? ""
    } | ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  const initial = Object.fromEntries(
    [...(opts.extra ?? "").matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, "-"]),
  );
  bar.start(total, 0, initial);
  return {
    update: (done, payload) => bar.update(done, payload),
    stop: () => bar.stop(),
  };
}
