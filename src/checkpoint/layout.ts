/**
 * What a checkpoint holds and who writes it, as DLIO computes it (`base_checkpointing.py`,
 * dlio.md §7.2): the transformer parameter count, TP/PP/DP geometry, ZeRO stages 0–3, model and
 * optimizer datatypes, and DLIO's file names under `global_epoch<E>_step<S>/`. Non-transformer
 * models are one flat tensor of `model.model_size_bytes` (or `model.model_size`, the key DLIO's
 * bundled unet3d/megatron files use but DLIO never reads).
 *
 * Pure arithmetic: sizes of a 5 TB checkpoint are computed without writing anything.
 * @module
 */
import type { WorkloadConfig } from "../config/schema.ts";

/** Bytes per element of DLIO's datatypes. */
export const DTYPE_BYTES: Record<string, number> = {
  int8: 1,
  uint8: 1,
  fp16: 2,
  bf16: 2,
  float16: 2,
  fp32: 4,
  float32: 4,
  fp64: 8,
  float64: 8,
  int16: 2,
  int32: 4,
  int64: 8,
};

/** One file a rank writes. */
export interface CheckpointFile {
  /** Name inside the checkpoint folder. */
  name: string;
  kind: "model" | "optimizer";
  /** Tensor sizes in elements, as DLIO allocates them. */
  tensors: number[];
  bytes: number;
}

/** A rank's place in the TP × PP × DP grid. */
export interface RankGeometry {
  tp: number;
  pp: number;
  dp: number;
  mp: number;
  tpRank: number;
  ppRank: number;
  dpRank: number;
  mpRank: number;
  /** Ranks beyond TP·PP·DP in subset mode do not take part. */
  active: boolean;
}

/** DLIO's rank geometry: mp = TP·PP, DP = P/mp (or `parallelism.data` in subset mode). */
export function geometry(c: WorkloadConfig, rank: number, size: number): RankGeometry {
  const par = c.model.parallelism;
  const tp = par.tensor, pp = par.pipeline, mp = tp * pp;
  const dp = c.checkpoint.mode === "subset" && par.data > 0
    ? par.data
    : Math.max(1, Math.floor(size / mp));
  return {
    tp,
    pp,
    dp,
    mp,
    tpRank: rank % tp,
    ppRank: Math.floor(rank / tp) % pp,
    dpRank: Math.floor(rank / mp),
    mpRank: rank % mp,
    active: rank < mp * dp,
  };
}

/** Whether the model is modelled as a transformer. */
export function isTransformer(c: WorkloadConfig): boolean {
  return c.model.type === "transformer" && c.model.num_layers > 0;
}

/** DLIO's transformer parameter count. */
export function parameterCount(c: WorkloadConfig): number {
  const t = c.model.transformer, h = t.hidden_size, L = c.model.num_layers;
  const dkv = (h / t.num_attention_heads) * t.num_kv_heads;
  return 2 * t.vocab_size * h + h +
    L * (2 * h + h * (h + 2 * dkv) + h * h + 3 * h * t.ffn_hidden_size);
}

/** The flat model size of a non-transformer model, and which key it came from. */
export function flatModelSize(c: WorkloadConfig): { bytes: number; key: string } {
  const m = c.model;
  // DLIO reads model_size_bytes only; its bundled unet3d/megatron files set model_size, which
  // DLIO ignores (so unet3d's DLIO checkpoint is 10 KiB). dl-driver uses model_size when
  // model_size_bytes is left at its default.
  if (m.model_size !== null && m.model_size_bytes === 10240) {
    return { bytes: m.model_size, key: "model.model_size" };
  }
  return { bytes: m.model_size_bytes, key: "model.model_size_bytes" };
}

/** Transformer layers held by pipeline stage `pp` of `PP` (remainder to the first stages). */
function stageLayers(L: number, PP: number, pp: number): number[] {
  const base = Math.floor(L / PP), extra = L % PP;
  const start = pp * base + Math.min(pp, extra);
  const count = base + (pp < extra ? 1 : 0);
  const layers = Array.from({ length: count }, (_, i) => start + 1 + i); // 1-based layers
  if (pp === 0) layers.unshift(0); // embedding
  if (pp === PP - 1) layers.push(L + 1, L + 2); // lm_head, final norm
  return layers;
}

/** Tensors of layer `l` (elements) for one TP rank, ZeRO-3 sharding over DP included. */
function layerTensors(c: WorkloadConfig, l: number, g: RankGeometry): number[] {
  const t = c.model.transformer, h = t.hidden_size, L = c.model.num_layers;
  const dkv = (h / t.num_attention_heads) * t.num_kv_heads;
  const shard = c.model.parallelism.zero_stage === 3 ? g.tp * g.dp : g.tp;
  let tensors: number[];
  if (l === 0 || l === L + 1) tensors = [h * t.vocab_size];
  else if (l === L + 2) tensors = [h];
  else tensors = [h, h * (h + 2 * dkv), h * h, h, 2 * h * t.ffn_hidden_size, h * t.ffn_hidden_size];
  return tensors.map((n) => Math.floor(n / shard));
}

/** The files one rank writes for one checkpoint (empty when it writes nothing). */
export function rankFiles(
  c: WorkloadConfig,
  rank: number,
  size: number,
  ext = "pt",
): CheckpointFile[] {
  const m = c.model;
  const mb = DTYPE_BYTES[m.model_datatype] ?? 2, ob = DTYPE_BYTES[m.optimizer_datatype] ?? 4;
  const file = (
    name: string,
    kind: CheckpointFile["kind"],
    tensors: number[],
    bytesPer: number,
  ) => ({
    name,
    kind,
    tensors,
    bytes: tensors.reduce((a, n) => a + n, 0) * bytesPer,
  });
  if (!isTransformer(c)) {
    // One flat int8 tensor, written by the first model-parallel group (rank 0 for TP=PP=1).
    const g = geometry(c, rank, size);
    if (g.dpRank !== 0 || !g.active) return [];
    const out = [file(`model_states-${rank}.${ext}`, "model", [flatModelSize(c).bytes], 1)];
    if (m.optimization_groups.length > 0) {
      out.push(
        file(`optimizer_states-${rank}.${ext}`, "optimizer", [...m.optimization_groups], ob),
      );
    }
    return out;
  }
  const g = geometry(c, rank, size);
  if (!g.active) return [];
  const zero = m.parallelism.zero_stage;
  const layers = stageLayers(m.num_layers, g.pp, g.ppRank);
  const out: CheckpointFile[] = [];
  const modelWriter = zero === 3 || g.dpRank === 0;
  if (modelWriter) {
    if ((zero === 1 || zero === 2) && g.pp > 1) {
      for (const l of layers) {
        out.push(
          file(
            `layer_${l}-model_${g.mpRank}_model_states.${ext}`,
            "model",
            layerTensors(c, l, g),
            mb,
          ),
        );
      }
    } else {
      const tensors = layers.flatMap((l) => layerTensors(c, l, g));
      const name = zero === 1 || zero === 2
        ? `model_${g.mpRank}_model_states.${ext}`
        : `zero_pp_rank_${g.dpRank}_mp_rank_${g.mpRank}_model_states.${ext}`;
      out.push(file(name, "model", tensors, mb));
    }
  }
  // Optimizer: sharded over DP under ZeRO ≥ 1 (every rank writes), else the first DP replica.
  if (zero > 0 || g.dpRank === 0) {
    const params = parameterCount(c);
    const n = Math.floor(zero > 0 ? params / (g.dp * g.mp) : params / g.mp);
    const h5 = 5 * m.transformer.hidden_size;
    out.push(
      file(
        `zero_pp_rank_${g.dpRank}_mp_rank_${g.mpRank}_optim_states.${ext}`,
        "optimizer",
        [n, h5, n, h5, n, h5],
        ob,
      ),
    );
  }
  return out;
}

/** Total bytes of one checkpoint over all ranks of the job. */
export function checkpointBytes(c: WorkloadConfig, size: number): number {
  let total = 0;
  for (let r = 0; r < size; r++) for (const f of rankFiles(c, r, size)) total += f.bytes;
  return total;
}

/** DLIO's folder name of a checkpoint. */
export function checkpointFolder(epoch: number, step: number): string {
  return `global_epoch${epoch}_step${step}`;
}
