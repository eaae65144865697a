/**
 * Samplers: which samples a rank reads in an epoch, in what order.
 * DLIO's index sampler gives rank r the contiguous global range
 * [r·⌈N/P⌉, min((r+1)·⌈N/P⌉, N)). Shuffles are seeded and really shuffle.
 * @module
 */
import { Prng } from "../util/prng.ts";

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
}

/** One sample to read: the file (index into the split's sorted file list) and in-file index. */
export interface SampleRef {
  /** Global sample id (before file shuffling). */
  id: number;
  file: number;
  index: number;
  /** The reader (interleave slot) that streams this sample's file, when files are interleaved. */
  reader?: number;
}

/** The rank's samples for one epoch, in read order. */
export function epochOrder(o: OrderOptions): SampleRef[] {
  const total = o.files * o.samplesPerFile;
  const seedFor = (mode: ShuffleMode) =>
    (mode === "random" ? o.randomSeed : o.seed) + (o.seedChangeEpoch ? o.epoch : 0);
  const fileMap = Array.from({ length: o.files }, (_, i) => i);
  if (o.fileShuffle !== "off") new Prng(seedFor(o.fileShuffle), "file_shuffle").shuffle(fileMap);
  const [start, end] = indexShard(total, o.rank, o.size);
  const out: SampleRef[] = [];
  for (let g = start; g < end; g++) {
    out.push({
      id: g,
      file: fileMap[Math.floor(g / o.samplesPerFile)]!,
      index: g % o.samplesPerFile,
    });
  }
  if (o.sampleShuffle !== "off") {
    new Prng(seedFor(o.sampleShuffle), "sample_shuffle", o.rank).shuffle(out);
  }
  return out;
}

/**
 * tf.data's `interleave(cycle_length=cycle, block_length=1)` over the files of an order: `cycle`
 * files are read at once, one record from each in turn; when a file is exhausted the next file
 * takes its slot. Each file stays on its slot's reader, and each file's records stay in order.
 */
export function interleaveFiles(order: SampleRef[], cycle: number): SampleRef[] {
  const byFile = new Map<number, SampleRef[]>();
  for (const r of order) {
    let l = byFile.get(r.file);
    if (!l) byFile.set(r.file, l = []);
    l.push(r);
  }
  const pending = [...byFile.values()];
  const slots: (SampleRef[] | undefined)[] = [];
  const pos: number[] = [];
  let next = 0;
  for (let s = 0; s < Math.max(1, cycle) && next < pending.length; s++) {
    slots.push(pending[next++]);
    pos.push(0);
  }
  const out: SampleRef[] = [];
  while (slots.some((x) => x)) {
    for (let s = 0; s < slots.length; s++) {
      const list = slots[s];
      if (!list) continue;
      out.push({ ...list[pos[s]!]!, reader: s });
      if (++pos[s]! === list.length) {
        slots[s] = next < pending.length ? pending[next++] : undefined;
        pos[s] = 0;
      }
    }
  }
  return out;
}
