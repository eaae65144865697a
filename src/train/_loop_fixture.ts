/**
 * A small training setup for tests in fake time: 30 train and 6 eval NPZ files on mem://,
 * batch 4, 3 epochs of 0.1 s compute, one rank.
 * @module
 */
import { resolveConfig } from "../config/resolve.ts";
import { npzCodec } from "../formats/npz.ts";
import { keyList } from "../loader/files.ts";
import { MemBackend } from "../storage/mem.ts";
import { yamlFile } from "../../tests/_helpers.ts";
import { FakeClock } from "../util/clock.ts";
import { soloComm } from "./comm.ts";
import type { TrainSetup } from "./loop.ts";

/** The setup, with overrides applied. */
export async function loopSetup(args: string[] = []): Promise<TrainSetup> {
  const p = await yamlFile(`framework: pytorch
dataset:
  format: npz
  num_files_train: 30
  num_files_eval: 6
  record_length_bytes: 64
reader:
  batch_size: 4
  batch_size_eval: 2
  read_threads: 2
train:
  epochs: 3
  computation_time: 0.1
evaluation:
  eval_time: 0.05
`);
  const config = resolveConfig({ file: p, args }).config;
  const backend = new MemBackend(`loop-${crypto.randomUUID()}`);
  const files = async (split: string, n: number) => {
    const keys = [];
    for (let i = 0; i < n; i++) {
      const key = `${split}/img_${String(i).padStart(2, "0")}_of_${n}.npz`;
      await backend.put(
        key,
        npzCodec.encode({ dims: [8, 8], samples: 1, dtype: "uint8", seed: 1, fileIndex: i }),
      );
      keys.push(key);
    }
    return keys;
  };
  return {
    config,
    backend,
    codec: npzCodec,
    trainFiles: keyList(await files("train", 30)),
    evalFiles: keyList(await files("valid", 6)),
    clock: new FakeClock(),
    comm: soloComm,
    randomSeed: 1,
  };
}
