/**
 * The checkpoint plug-in: saves during training when DLIO would.
 * - `steps_between_checkpoints` > 0: after every N-th step of an epoch (DLIO resets the step
 *   counter each epoch); the loop ends its timing block first. 0 never fires (as in DLIO).
 * - otherwise after epoch `checkpoint_after_epoch`, then every `epochs_between_checkpoints`,
 *   after a barrier.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import type { Comm } from "../train/comm.ts";
import type { Plugin } from "../train/plugins.ts";
import type { Checkpointer } from "./checkpoint.ts";
import type { CheckpointEvent } from "../metrics/records.ts";

/** A plug-in that saves with `ck` and appends each save to `events`. */
export function checkpointPlugin(
  c: WorkloadConfig,
  ck: Checkpointer,
  comm: Comm,
  events: CheckpointEvent[],
): Plugin {
  const every = c.checkpoint.steps_between_checkpoints;
  let nextEpoch = c.checkpoint.checkpoint_after_epoch;
  return {
    name: "checkpoint",
    dueAfterStep: (_epoch, step) => every > 0 && step % every === 0,
    afterStep: async (epoch, step) => {
      events.push(await ck.save(epoch, step));
    },
    afterEpoch: async (epoch, steps) => {
      if (every >= 0 || epoch !== nextEpoch) return;
      nextEpoch += c.checkpoint.epochs_between_checkpoints;
      await comm.barrier();
      events.push(await ck.save(epoch, steps));
    },
  };
}
