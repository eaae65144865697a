/**
 * Framework profiles: how each framework's data loader turns a sampler's order into batches,
 * which reader builds which batch, and how far it reads ahead. docs/frameworks.md has the
 * side-by-side table; each behaviour here is tested on what can be observed (order, batch
 * composition, reads in flight).
 *
 * - `pytorch` (DLIO's torch_data_loader): index sampler; `read_threads` workers; batch b is
 *   built whole by worker b mod W, reading its samples one after another; each worker has
 *   `prefetch_factor = ceil(prefetch_size / W)` batches queued (2 when that is 0), so at most
 *   W·prefetch_factor batches are read ahead of the one being computed on; drop_last.
 * - `tensorflow` (DLIO's tf_data_loader): TFRecord files are dealt round-robin to ranks and read
 *   `read_threads` at a time, interleaved record by record, each file by one reader; records go
 *   through a `shuffle_size` shuffle buffer when sample_shuffle is on; `.prefetch(prefetch_size)`
 *   batches. Other formats: the iterative sampler, one contiguous chunk per reader thread, each
 *   thread building whole batches from its chunk, batches taken from the threads in turn.
 * - `jax` (Grain's DataLoader, the loader JAX examples and MaxText use): index sampler with a
 *   contiguous shard per process and a global per-epoch shuffle; worker w of W takes records
 *   w, w+W, w+2W, … of the shard and batches them itself; batches are taken from the workers
 *   in turn; `worker_buffer_size` (= prefetch_size, at least 1) batches queued per worker.
 * - `dali`: index sampler; DALI's pipeline reads `read_threads` samples at once and keeps
 *   `prefetch_queue_depth` (= prefetch_size, 2 when 0) batches ready.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";
import { UserError } from "../errors.ts";
import {
  cycleTo,
  dlioIterativeOrder,
  epochOrder,
  interleaveFiles,
  type Order,
  type OrderOptions,
  type SampleRef,
  tfRecordFiles,
} from "./sampler.ts";

/** A framework's loader behaviour. */
export type ProfileName = "pytorch" | "tensorflow" | "jax" | "dali";

/** Which profile and sampler a config uses. */
export interface Profile {
  name: ProfileName;
  sampler: "index" | "iterative";
  /** `native`: shuffles as configured; `dlio`: the order DLIO really produces. */
  accessOrder: "native" | "dlio";
}

/** The profile of a config: from `reader.data_loader` (and `framework: jax`). */
export function profileFor(c: WorkloadConfig): Profile {
  const dl = c.reader.data_loader;
  const name: ProfileName = dl === "pytorch"
    ? "pytorch"
    : dl === "jax" || (c.framework === "jax" && dl !== "tensorflow")
    ? "jax"
    : dl === "dali" || dl === "native_dali"
    ? "dali"
    : dl === "tensorflow"
    ? "tensorflow"
    : c.framework === "pytorch"
    ? "pytorch"
    : "tensorflow";
  const sampler = (c.reader.data_loader_sampler as "index" | "iterative" | null) ??
    (name === "tensorflow" ? "iterative" : "index");
  return { name, sampler, accessOrder: c.reader.access_order as "native" | "dlio" };
}

/** One batch as a worker builds it. */
export interface PlannedBatch {
  /** The reader (worker) that builds it. */
  worker: number;
  refs: SampleRef[];
}

/** How one epoch of one rank is read. */
export interface EpochPlan {
  /**
   * `arrival`: samples are claimed in `order` by any free reader (or the reader in
   * `SampleRef.reader`) and batches fill as samples complete (tf.data, DALI).
   * `worker`: batch b is built whole by one worker (`batch(b)`), samples in order.
   */
  mode: "arrival" | "worker";
  batches: number;
  batchSize: number;
  /** arrival: the claim order (batches × batchSize samples). worker: the sampler's order. */
  order: Order;
  /** The sampler's order over the rank's share, once (DLIO's coverage check sums its ids). */
  sampled: Order;
  /**
   * The order the sampler planned, before the loader groups samples into batches or interleaves
   * files over reader threads: it depends only on config, seed, epoch, rank and world size
   * (`access_order_sample` and the visited-items files list it).
   */
  planned: Order;
  batch(b: number): PlannedBatch;
  /** Readers the plan uses (workers or interleave slots). */
  workers: number;
  /** Batches that may be read ahead of the one the training loop holds. */
  maxAhead: number;
  /** tf.data shuffle buffer (records) between reading and batching; 0: none. */
  shuffleBuffer: number;
  shuffleSeed: number;
}

/** What an epoch plan depends on. */
export interface PlanOptions extends OrderOptions {
  profile: Profile;
  batchSize: number;
  /** Steps to run this epoch (batches). */
  steps: number;
  readThreads: number;
  prefetchSize: number;
  /** The format is read as a stream of records (TFRecord without its index). */
  streamed: boolean;
  /** The tf.data shuffle buffer applies (training with sample_shuffle on). */
  shuffleRecords: boolean;
  shuffleSize: number;
}

/** Plan one epoch of one rank. */
export function planEpoch(o: PlanOptions): EpochPlan {
  const plan = planOf(o);
  if (plan.sampled.length === 0 && o.steps > 0) {
    const n = o.files * o.samplesPerFile;
    throw new UserError(
      `rank ${o.rank} of ${o.size} has no samples to read: ${n} samples (dataset.num_files_* × ` +
        `num_samples_per_file) in contiguous shares of ${Math.ceil(n / o.size)} leave none for ` +
        "it; use more files or fewer accelerators",
    );
  }
  return plan;
}

/** What every profile's planner derives from the options. */
interface PlanContext {
  B: number;
  W: number;
  /** Samples this epoch reads (steps × batch). */
  n: number;
  dlio: boolean;
  /** The options with both shuffles off (DLIO's real order for some loaders). */
  noShuffle: PlanOptions;
  prefetch: number;
  base: Pick<EpochPlan, "batches" | "batchSize" | "shuffleBuffer" | "shuffleSeed">;
  /** Batches as consecutive runs of an order, wrapping (see planOf). */
  fromOrder(order: Order, worker: (b: number) => number): EpochPlan["batch"];
}

function planOf(o: PlanOptions): EpochPlan {
  const B = o.batchSize;
  const x: PlanContext = {
    B,
    W: Math.max(1, o.readThreads),
    n: o.steps * B,
    dlio: o.profile.accessOrder === "dlio",
    noShuffle: { ...o, fileShuffle: "off", sampleShuffle: "off" },
    prefetch: Math.max(0, o.prefetchSize),
    base: {
      batches: o.steps,
      batchSize: B,
      shuffleBuffer: 0,
      shuffleSeed: (o.sampleShuffle === "random" ? o.randomSeed : o.seed) +
        (o.seedChangeEpoch ? o.epoch : 0),
    },
    // A rank whose share is shorter than steps × batch wraps around to its start (tf.data's
    // .repeat()). DLIO's PyTorch path would end that rank's epoch early and deadlock the others
    // at the barrier (mlcommons/storage#172); wrapping keeps DLIO's step count without the hang.
    fromOrder: (order, worker) => (b) => ({
      worker: worker(b),
      refs: Array.from({ length: B }, (_, j) => order.at((b * B + j) % order.length)),
    }),
  };
  return PLANNERS[o.profile.name](o, x);
}

/** tf.data over TFRecord: files dealt to ranks, read_threads files interleaved, shuffle buffer. */
function planTfRecord(o: PlanOptions, x: PlanContext): EpochPlan {
  // DLIO's TFRecord path ignores file_shuffle (list_files(shuffle=False)).
  const { files, recordStride } = tfRecordFiles(x.dlio ? x.noShuffle : o);
  const stride = recordStride > 1 ? o.rank : 0;
  const interleaved = interleaveFiles(files, o.samplesPerFile, x.W, stride, recordStride);
  const order = cycleTo(interleaved, x.n);
  return {
    ...x.base,
    mode: "arrival",
    order,
    sampled: interleaved,
    // The files dealt to the rank, each read to its end, one after another.
    planned: interleaveFiles(files, o.samplesPerFile, 1, stride, recordStride),
    batch: x.fromOrder(order, () => 0),
    workers: Math.min(x.W, Math.max(1, files.length)),
    maxAhead: x.prefetch,
    shuffleBuffer: o.shuffleRecords ? o.shuffleSize : 0,
  };
}

/**
 * Batch b of the epoch → (thread, k-th batch of that thread), threads taken in turn while they
 * still have batches: find the round by bisection over the batches the rounds before it hold.
 */
function threadSchedule(perThread: number[], W: number): (b: number) => [number, number] {
  const before = (r: number) => perThread.reduce((a, c) => a + Math.min(c, r), 0);
  const rounds = Math.max(0, ...perThread);
  return (b) => {
    if (b >= before(rounds)) return [b % W, Math.floor(b / W)];
    let lo = 0, hi = rounds - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (before(mid) <= b) lo = mid;
      else hi = mid - 1;
    }
    let left = b - before(lo);
    for (let t = 0; t < W; t++) {
      if (perThread[t]! > lo && left-- === 0) return [t, lo];
    }
    return [b % W, Math.floor(b / W)];
  };
}

/** tf.data's iterative sampler: thread t reads chunk t of the rank's range in whole batches. */
function planTensorflow(o: PlanOptions, x: PlanContext): EpochPlan {
  if (o.streamed) return planTfRecord(o, x);
  const { B, W } = x;
  const sampled = x.dlio ? dlioIterativeOrder(o) : epochOrder(o);
  const chunk = Math.ceil(sampled.length / W);
  const perThread = Array.from(
    { length: W },
    (_, t) => Math.floor(Math.max(0, Math.min(chunk, sampled.length - t * chunk)) / B),
  );
  const regular = perThread.every((c) => c === perThread[0]);
  const schedule = threadSchedule(perThread, W);
  return {
    ...x.base,
    mode: "worker",
    order: sampled,
    sampled,
    planned: sampled,
    batch(b) {
      const [t, k] = regular ? [b % W, Math.floor(b / W)] : schedule(b);
      const start = t * chunk + k * B;
      return {
        worker: t,
        refs: Array.from({ length: B }, (_, j) => sampled.at((start + j) % sampled.length)),
      };
    },
    workers: W,
    // Each thread has a batch in progress; .prefetch(prefetch_size) holds more.
    maxAhead: x.prefetch + W - 1,
  };
}

/** Grain: worker w batches records w, w+W, … of the shard. */
function planJax(o: PlanOptions, x: PlanContext): EpochPlan {
  const { B, W } = x;
  const sampled = epochOrder(o);
  return {
    ...x.base,
    mode: "worker",
    order: sampled,
    sampled,
    planned: sampled,
    batch: (b) => {
      const w = b % W, kth = Math.floor(b / W);
      return {
        worker: w,
        refs: Array.from(
          { length: B },
          (_, j) => sampled.at((w + W * (kth * B + j)) % sampled.length),
        ),
      };
    },
    workers: W,
    maxAhead: W * Math.max(1, x.prefetch),
  };
}

/** DALI: read_threads samples at once, prefetch_queue_depth batches ready. */
function planDali(o: PlanOptions, x: PlanContext): EpochPlan {
  const sampled = epochOrder(x.dlio ? x.noShuffle : o);
  const order = cycleTo(sampled, x.n);
  return {
    ...x.base,
    mode: "arrival",
    order,
    sampled,
    planned: sampled,
    batch: x.fromOrder(order, () => 0),
    workers: x.W,
    maxAhead: x.prefetch > 0 ? x.prefetch : 2,
  };
}

/** PyTorch: DataLoader(sampler, batch_size, num_workers=W, prefetch_factor, drop_last). */
function planPytorch(o: PlanOptions, x: PlanContext): EpochPlan {
  const order = epochOrder(x.dlio ? x.noShuffle : o);
  const factor = o.readThreads >= 1 ? (Math.ceil(x.prefetch / o.readThreads) || 2) : 0;
  return {
    ...x.base,
    mode: "worker",
    order,
    sampled: order,
    planned: order,
    batch: x.fromOrder(order, (b) => b % x.W),
    workers: x.W,
    // read_threads 0: no workers; each batch is loaded when the loop asks for it.
    maxAhead: o.readThreads >= 1 ? x.W * factor : 0,
  };
}

/** The profile registry: each framework's epoch planner (docs/frameworks.md). */
export const PLANNERS: Readonly<
  Record<ProfileName, (o: PlanOptions, x: PlanContext) => EpochPlan>
> = {
  pytorch: planPytorch,
  tensorflow: planTensorflow,
  jax: planJax,
  dali: planDali,
};
