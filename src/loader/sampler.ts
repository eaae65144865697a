/**
 * Samplers: which samples a rank reads in an epoch, and in what order. Orders are lazy
 * (`Order.at(i)`), so a 10-million-file plan costs O(1) memory per rank: shuffles are seeded
 * Feistel permutations, file and in-file indices are arithmetic.
 *
 * - index sampler (DLIO's PyTorch/DALI path): rank r owns the contiguous global range
 *   [r·⌈N/P⌉, min((r+1)·⌈N/P⌉, N)); with `sharding: round_robin` (MLPerf Storage v3.0's DLIO)
 *   rank r owns files r, r+P, r+2P, … trimmed to ⌊F/P⌋ files, so every rank has the same share.
 * - iterative sampler (DLIO's TensorFlow path for non-TFRecord formats): the same range, split
 *   into one contiguous chunk per reader thread.
 * - TFRecord under tf.data: files dealt round-robin to ranks (`shard(P, rank)`), records
 *   interleaved over `read_threads` open files.
 *
 * Shuffles are seeded and really shuffle, unless `reader.access_order: dlio` asks for the order
 * DLIO really produces (no shuffles on the PyTorch path; the iterative sampler's file offset).
 * @module
 */
import { Permutation } from "../util/prng.ts";

/** Shuffle setting as in DLIO. */
export type ShuffleMode = "off" | "seed" | "random";

/** Rank r's contiguous share of `total` samples: [start, end). */
export function indexShard(total: number, rank: number, size: number): [number, number] {
  const per = Math.ceil(total / size);
  return [Math.min(total, rank * per), Math.min(total, (rank + 1) * per)];
}

/** DLIO's steps per epoch: floor(samples / batch / ranks). */
export function stepsPerEpoch(samples: number, batch: number, ranks: number): number {
  return Math.floor(samples / batch / ranks);
}

/** How files are dealt to ranks. */
export type Sharding = "contiguous" | "round_robin";

/** What decides how a run's samples are read: the codec's read mode and the reader keys. */
interface ReadSetup {
  codec: { readonly access: string };
  reader: { read_index: boolean; file_trimming: string };
}

/** Whether records are streamed file by file (TFRecord under tf.data, without an index). */
export function streamsRecords(codec: ReadSetup["codec"], c: Pick<ReadSetup, "reader">): boolean {
  return codec.access === "stream" && !c.reader.read_index;
}

/** The sharding `reader.file_trimming` asks for (tf.data streams deal files themselves). */
export function shardingOf(c: Pick<ReadSetup, "reader">, codec: ReadSetup["codec"]): Sharding {
  return !streamsRecords(codec, c) && c.reader.file_trimming === "mlperf_v3"
    ? "round_robin"
    : "contiguous";
}

/**
 * Upstream DLIO's trimming (PR #339): the file count cut to a multiple of
 * `nspf × batch × ranks` (it mixes files and samples; for nspf = 1 it evens out the ranks).
 */
export function dlioTrimmedFiles(
  files: number,
  samplesPerFile: number,
  batch: number,
  ranks: number,
): number {
  const unit = samplesPerFile * batch * ranks;
  return Math.floor(files / unit) * unit;
}

/**
 * Steps per epoch of a split under a sharding: DLIO's formula, or for round-robin the v3.0
 * fork's (each rank ⌊F/P⌋ files; the ranks agree on the minimum, which is this for all).
 */
export function shardedSteps(
  files: number,
  samplesPerFile: number,
  batch: number,
  ranks: number,
  sharding: Sharding = "contiguous",
): number {
  if (sharding === "round_robin") {
    return Math.floor((Math.floor(files / ranks) * samplesPerFile) / batch);
  }
  return stepsPerEpoch(files * samplesPerFile, batch, ranks);
}

/** One sample to read: the file (index into the split's sorted file list) and in-file index. */
export interface SampleRef {
  /** Global sample id (file · samples_per_file + index, before any shuffle). */
  id: number;
  file: number;
  index: number;
  /** The reader (interleave slot) that streams this sample's file, when files are interleaved. */
  reader?: number;
}

/** A lazy sequence of samples. */
export interface Order {
  readonly length: number;
  at(i: number): SampleRef;
}

/** An order from an array (tests, small lists). */
export function arrayOrder(refs: SampleRef[]): Order {
  return { length: refs.length, at: (i) => refs[i]! };
}

/** Materialise an order (tests and small plans only). */
export function toArray(o: Order, limit = o.length): SampleRef[] {
  return Array.from({ length: Math.min(limit, o.length) }, (_, i) => o.at(i));
}

/** What decides an epoch's order. */
export interface OrderOptions {
  files: number;
  samplesPerFile: number;
  rank: number;
  size: number;
  fileShuffle: ShuffleMode;
  sampleShuffle: ShuffleMode;
  seed: number;
  epoch: number;
  seedChangeEpoch: boolean;
  /** Seed used for `random` shuffles (drawn once per run, reported). */
  randomSeed: number;
  /** How files are dealt to ranks (default contiguous, upstream DLIO's). */
  sharding?: Sharding;
}

/** The seed of a shuffle in an epoch (`random` uses the run's drawn seed). */
function shuffleSeed(o: OrderOptions, mode: ShuffleMode): number {
  return (mode === "random" ? o.randomSeed : o.seed) + (o.seedChangeEpoch ? o.epoch : 0);
}

/** The file at position p of the epoch's (possibly shuffled) file list. */
function fileMap(o: OrderOptions): (p: number) => number {
  if (o.fileShuffle === "off") return (p) => p;
  const perm = new Permutation(o.files, shuffleSeed(o, o.fileShuffle), "file_shuffle");
  return (p) => perm.at(p);
}

/** The rank's seeded sample shuffle over its `n` samples (none when sample_shuffle is off). */
function samplePermutation(o: OrderOptions, n: number): Permutation | undefined {
  return o.sampleShuffle === "off"
    ? undefined
    : new Permutation(n, shuffleSeed(o, o.sampleShuffle), "sample_shuffle", o.rank);
}

/**
 * The index sampler: the rank's contiguous range of the (file-shuffled) global sample list, in
 * order or sample-shuffled. A file shuffle keeps a file's samples together.
 */
export function epochOrder(o: OrderOptions): Order {
  if (o.sharding === "round_robin") return roundRobinOrder(o);
  const total = o.files * o.samplesPerFile;
  const files = fileMap(o);
  const [start, end] = indexShard(total, o.rank, o.size);
  const n = end - start;
  const perm = samplePermutation(o, n);
  return {
    length: n,
    at(i) {
      const g = start + (perm ? perm.at(i) : i);
      const f = Math.floor(g / o.samplesPerFile);
      return { id: g, file: files(f), index: g % o.samplesPerFile };
    },
  };
}

/**
 * MLPerf Storage v3.0's DLIO: rank r owns the files at positions r, r+P, … of the (shuffled)
 * list, ⌊F/P⌋ of them (the rest are trimmed so every rank is equal), in order or
 * sample-shuffled within the rank's share.
 */
function roundRobinOrder(o: OrderOptions): Order {
  const per = Math.floor(o.files / o.size), nspf = o.samplesPerFile;
  const files = fileMap(o);
  const n = per * nspf;
  const perm = samplePermutation(o, n);
  return {
    length: n,
    at(i) {
      const k = perm ? perm.at(i) : i;
      const file = files(o.rank + o.size * Math.floor(k / nspf));
      const index = k % nspf;
      return { id: file * nspf + index, file, index };
    },
  };
}

/**
 * What the sample ids all ranks read sum to when every sample the sharding covers is read once:
 * N(N−1)/2, or with round-robin trimming the sum over the files it keeps.
 */
export function expectedIdSum(o: OrderOptions): number {
  const nspf = o.samplesPerFile;
  if (o.sharding !== "round_robin") {
    const n = o.files * nspf;
    return (n * (n - 1)) / 2;
  }
  const files = fileMap(o), kept = Math.floor(o.files / o.size) * o.size;
  let s = 0;
  for (let p = 0; p < kept; p++) s += files(p) * nspf * nspf + (nspf * (nspf - 1)) / 2;
  return s;
}

/**
 * DLIO's iterative sampler as DLIO computes it (`reader.access_order: dlio`): the rank's first
 * sample is in file r·⌊F/P⌋, every later one in file ⌊k/nspf⌋ mod F, which ignores the rank's
 * offset (files of rank 0 are read by every rank; some files never). Kept only to reproduce
 * DLIO's I/O side by side; the default iterative order is `epochOrder`'s range.
 */
export function dlioIterativeOrder(o: OrderOptions): Order {
  const total = o.files * o.samplesPerFile;
  const [start, end] = indexShard(total, o.rank, o.size);
  const first = o.rank * Math.floor(o.files / o.size);
  return {
    length: end - start,
    at(k) {
      const file = k === 0 ? first : Math.floor(k / o.samplesPerFile) % o.files;
      return { id: start + k, file, index: k % o.samplesPerFile };
    },
  };
}

/**
 * tf.data over TFRecord files: `list_files` → `shard(P, rank)` (round-robin files when there are
 * at least P files; otherwise every rank reads every file and keeps every P-th record) → the
 * rank's records file after file. With `fileShuffle` (dl-driver, native order) the file list
 * is shuffled before it is dealt.
 */
export function tfRecordFiles(o: OrderOptions): { files: number[]; recordStride: number } {
  const files = fileMap(o);
  if (o.files >= o.size) {
    const mine: number[] = [];
    for (let p = o.rank; p < o.files; p += o.size) mine.push(files(p));
    return { files: mine, recordStride: 1 };
  }
  return { files: Array.from({ length: o.files }, (_, p) => files(p)), recordStride: o.size };
}

/**
 * tf.data's `interleave(cycle_length=cycle, block_length=1)` over whole files: `cycle` files
 * are read at once, one record from each in turn; when a file is exhausted the next file takes
 * its slot. Each file stays on its slot's reader, and each file's records stay in order.
 * Memory: one entry per file of the rank, not per record.
 */
export function interleaveFiles(
  files: number[],
  samplesPerFile: number,
  cycle: number,
  recordOffset = 0,
  recordStride = 1,
): Order {
  const perFile = Math.ceil((samplesPerFile - recordOffset) / recordStride);
  // The schedule is regular: each round visits every live slot once. Build it per round of
  // record positions lazily: position i → (round, slot). Files in a slot run back to back, and
  // all files have the same record count, so slot s holds files s, s+cycle, s+2·cycle, ...
  const slots = Math.max(1, Math.min(cycle, files.length));
  const filesInSlot = (s: number) => Math.ceil((files.length - s) / slots);
  const total = files.length * perFile;
  // Rounds in which all slots are live: min over slots of its record count.
  const full = filesInSlot(slots - 1) * perFile;
  return {
    length: total,
    at(i) {
      let slot: number, k: number;
      if (i < full * slots) {
        slot = i % slots;
        k = Math.floor(i / slots);
      } else {
        // The tail: only the slots with one more file are still live.
        const live = files.length % slots;
        const j = i - full * slots;
        slot = j % live;
        k = full + Math.floor(j / live);
      }
      const f = files[slot + slots * Math.floor(k / perFile)]!;
      const index = recordOffset + (k % perFile) * recordStride;
      return { id: f * samplesPerFile + index, file: f, index, reader: slot };
    },
  };
}

/** An order cut or repeated to `n` samples (tf.data's `.repeat().take(n)`). */
export function cycleTo(o: Order, n: number): Order {
  if (o.length === 0) return { length: 0, at: () => ({ id: 0, file: 0, index: 0 }) };
  return { length: n, at: (i) => o.at(i % o.length) };
}

/**
 * DLIO's sanity check after each reconfigure: the sample ids all ranks read sum to N(N−1)/2,
 * i.e. every sample is covered once. Returns the rank's partial sum (add over ranks).
 */
export function idSum(o: Order): number {
  let s = 0;
  for (let i = 0; i < o.length; i++) s += o.at(i).id;
  return s;
}
