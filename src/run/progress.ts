/**
 * The live progress line of a run: one bar per epoch of rank 0 with samples/s, MiB/s and the live
 * AU (compute ÷ time over every step so far, labelled so: the final AU is DLIO's, over its metric
 * window).
 * @module
 */
import type { StepInfo } from "../metrics/records.ts";
import { progressBar } from "../util/progress.ts";

/** A progress callback for the training loop, and a way to stop the bar. */
export interface StepProgress {
  onStep(i: StepInfo): void;
  stop(): void;
}

/** Progress of `epochs` epochs; quiet draws nothing; `ranks` > 1 says the bar is rank 0's. */
export function stepProgress(epochs: number, quiet: boolean, ranks: number): StepProgress {
  let bar = progressBar("train", 1, "steps", { quiet: true });
  let barEpoch = 0;
  const onStep = (i: StepInfo) => {
    if (i.phase !== "train") return;
    if (i.epoch !== barEpoch) {
      bar.stop();
      barEpoch = i.epoch;
      bar = progressBar(`epoch ${i.epoch}/${epochs}`, i.steps, "steps", {
        quiet,
        // "live": compute ÷ time over every step so far; the final AU is DLIO's, over its
        // metric window (without the first step by default), so the two may differ.
        extra: " | {sps} samples/s | {mbps} MiB/s | live AU {au}% (all steps)" +
          (ranks > 1 ? " (rank 0)" : ""),
      });
    }
    const s = Math.max(i.elapsedMs / 1000, 1e-6);
    bar.update(i.step, {
      sps: (i.samples / s).toFixed(1),
      mbps: (i.bytes / 2 ** 20 / s).toFixed(1),
      au: (i.elapsedMs > 0 ? (100 * i.computeMs) / i.elapsedMs : 0).toFixed(1),
    });
  };
  return { onStep, stop: () => bar.stop() };
}
