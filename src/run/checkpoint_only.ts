/**
 * Checkpoint-only mode (DLIO's `workflow.train: False, checkpoint: True`): write
 * `num_checkpoints_write` checkpoints (sleep `time_between_checkpoints`, barrier, save), then
 * restore `num_checkpoints_read` of them, each after a barrier.
 * @module
 */
import type { Checkpointer } from "../checkpoint/checkpoint.ts";
import type { WorkloadConfig } from "../config/schema.ts";
import { profileFor } from "../loader/profile.ts";
import { SampleEvents } from "../metrics/recorder.ts";
import type { CheckpointEvent, TrainRecord } from "../metrics/records.ts";
import type { Comm } from "../train/comm.ts";
import type { Clock } from "../util/clock.ts";

/**
 * Run one rank's checkpoint-only job; its record holds the checkpoint events. Each event is in
 * `events` as soon as it completes (a failure or a signal keeps the ones before it), and
 * `onEvent` is told (results on disk as the run goes).
 */
export async function runCheckpointOnly(
  c: WorkloadConfig,
  ck: Checkpointer,
  comm: Comm,
  clock: Clock,
  events: CheckpointEvent[] = [],
  onEvent?: () => Promise<void>,
): Promise<TrainRecord> {
  const ckc = c.checkpoint;
  for (let i = 1; i <= ckc.num_checkpoints_write; i++) {
    if (ckc.time_between_checkpoints > 0) await clock.sleep(ckc.time_between_checkpoints * 1000);
    await comm.barrier();
    events.push(await ck.save(1, i));
    await onEvent?.();
  }
  for (let i = 1; i <= ckc.num_checkpoints_read; i++) {
    await comm.barrier();
    events.push(await ck.load(1, i));
    await onEvent?.();
  }
  return checkpointRecord(c, comm, clock, events);
}

/** A checkpoint-only rank's record of `events` (those so far, or all). */
export function checkpointRecord(
  c: WorkloadConfig,
  comm: Comm,
  clock: Clock,
  events: CheckpointEvent[],
): TrainRecord {
  const profile = profileFor(c);
  return {
    epochs: [],
    startMs: events[0]?.startMs ?? clock.now(),
    endMs: clock.now(),
    wallStart: events[0]?.wallStart ?? clock.wallNow(),
    wallEnd: clock.wallNow(),
    trainEvents: new SampleEvents(),
    evalEvents: new SampleEvents(),
    planned: [],
    randomSeed: 0,
    slotBytes: 0,
    storage: { requests: 0, retries: 0 },
    rank: comm.rank,
    profile: { name: profile.name, sampler: profile.sampler, access_order: profile.accessOrder },
    loader: { maxOutstanding: 0, maxBatchesAhead: 0 },
    checkpoints: events,
  };
}
