/**
 * The DLIO workload schema (every section and key DLIO reads), with DLIO's code defaults.
 * Keys marked `(dl-driver)` are extensions. See docs/config.md (generated from this file).
 * @module
 */
import {
  anyList,
  bool,
  boolish,
  dict,
  distribution,
  type Infer,
  int,
  intList,
  intOrNull,
  num,
  oneOf,
  oneOfOrNull,
  section,
  str,
  strOrList,
  strOrNull,
} from "./schema_dsl.ts";

const DTYPES = [
  "fp16",
  "bf16",
  "fp32",
  "fp64",
  "int8",
  "uint8",
] as const;

/** numpy dtype names accepted for `dataset.record_element_type`. */
export const ELEMENT_TYPES = [
  "uint8",
  "int8",
  "uint16",
  "int16",
  "uint32",
  "int32",
  "uint64",
  "int64",
  "float16",
  "float32",
  "float64",
] as const;

/** Dataset formats DLIO knows (parquet: MLPerf Storage v3 / MLCommons fork). */
export const FORMATS = [
  "tfrecord",
  "hdf5",
  "csv",
  "npz",
  "npy",
  "hdf5_opt",
  "jpeg",
  "png",
  "indexed_binary",
  "mmap_indexed_binary",
  "synthetic",
  "parquet",
] as const;

const SHUFFLE = ["off", "seed", "random"] as const;

const model = section("The model being trained (checkpoint sizes).", {
  name: str("default", { doc: "Label of the workload; names the results folder." }),
  type: strOrNull(null, {
    doc: "`transformer` switches on LLM checkpoint modelling.",
  }),
  model_size_bytes: int(10240, {
    doc: "Size of the flat model tensor for non-transformer checkpoints.",
    unit: "bytes",
    min: 0,
  }),
  model_size: intOrNull(null, {
    doc: "Used by DLIO's bundled unet3d/megatron files but never read by DLIO; dl-driver uses " +
      "it when model_size_bytes is left at its default.",
    unit: "bytes",
    min: 0,
  }),
  model_datatype: oneOf(DTYPES, "fp16", { doc: "Datatype of model tensors." }),
  optimizer_datatype: oneOf(DTYPES, "fp32", {
    doc: "Datatype of optimizer state.",
  }),
  num_layers: int(-1, { doc: "Transformer layer count.", min: -1 }),
  layer_parameters: intList({ doc: "Legacy per-layer tensor sizes." }),
  optimization_groups: intList({ doc: "Legacy optimizer tensor sizes." }),
  parallelism: section("Model parallelism.", {
    tensor: int(1, { doc: "Tensor parallelism (TP).", min: 1 }),
    pipeline: int(1, { doc: "Pipeline parallelism (PP).", min: 1 }),
    data: int(-1, {
      doc: "Data parallelism (DP); -1 = world/(TP*PP). Only in subset mode.",
      min: -1,
    }),
    zero_stage: int(0, { doc: "ZeRO stage 0-3.", min: 0 }),
  }),
  transformer: section("Transformer shape (checkpoint parameter count).", {
    vocab_size: int(32000, { doc: "Vocabulary size.", min: 1 }),
    hidden_size: int(2048, { doc: "Hidden size.", min: 1 }),
    ffn_hidden_size: int(8192, {
      doc: "FFN hidden size.",
      min: 1,
      dlioDocDefault: "8196",
    }),
    num_attention_heads: int(32, { doc: "Attention heads.", min: 1 }),
    num_kv_heads: int(8, { doc: "Key/value heads.", min: 1 }),
  }),
});

const workflow = section("What the job does.", {
  generate_data: bool(false, { doc: "Generate the dataset before training." }),
  train: bool(true, { doc: "Run the emulated training." }),
  evaluation: bool(false, { doc: "Run evaluation epochs over `valid/`." }),
  checkpoint: bool(false, { doc: "Write (and in checkpoint-only mode restore) checkpoints." }),
  profiling: bool(false, { doc: "Start `profiling.profiler`.", status: "planned" }),
  query: strOrNull(null, { doc: "Used only by `dlio_benchmark_query`.", status: "noop" }),
  debug: bool(false, { doc: "Appears in bert_v100.yaml; DLIO never reads it.", status: "noop" }),
});

const storage = section("Where the dataset lives.", {
  storage_type: oneOf(["local_fs", "parallel_fs", "s3", "aistore"], "local_fs", {
    doc: "Storage kind; `local_fs` and `parallel_fs` are file systems.",
  }),
  storage_root: str("./", {
    doc: "File systems: directory a relative `data_folder` is joined onto. S3: the bucket.",
  }),
  storage_options: section("Object-store credentials, endpoint and transfer settings.", {
    access_key_id: strOrNull(null, {
      doc: "S3 access key (else the AWS environment/profile).",
    }),
    secret_access_key: strOrNull(null, { doc: "S3 secret key." }),
    endpoint_url: strOrNull(null, {
      doc: "S3 endpoint URL (else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).",
    }),
    region: strOrNull(null, { doc: "S3 region (else AWS_REGION, else us-east-1)." }),
    s3_force_path_style: boolish(false, {
      doc: 'Path-style S3 addressing (bool or "true"/"false"); on by default with an endpoint.',
    }),
    s3_max_attempts: int(5, {
      doc: "Attempts per request (S3 and Azure; retries with backoff).",
      min: 1,
    }),
    connect_timeout_s: num(10, {
      doc: "(dl-driver) Seconds to wait for a connection to the object store.",
      unit: "s",
      min: 0.001,
    }),
    idle_timeout_s: num(20, {
      doc: "(dl-driver) Seconds a request may wait with no bytes moving before it is retried " +
        "(S3: socket idle timeout; Azure: per-try timeout).",
      unit: "s",
      min: 0.001,
    }),
    request_timeout_s: num(110, {
      doc: "(dl-driver) Seconds one storage operation may take in all, retries included; then " +
        "it fails with exit 3 naming the operation and object (a stalled endpoint ends within " +
        "two minutes by default).",
      unit: "s",
      min: 0.001,
    }),
    multipart_threshold_bytes: int(16777216, {
      doc: "(dl-driver) Objects of this size or more are uploaded in parts (S3 multipart, " +
        "Azure blocks).",
      unit: "bytes",
      min: 1,
    }),
    multipart_part_size_bytes: int(8388608, {
      doc: "(dl-driver) Part/block size for multipart uploads (S3: at least 5 MiB).",
      unit: "bytes",
      min: 1,
    }),
    multipart_concurrency: int(4, { doc: "(dl-driver) Parts uploaded at once.", min: 1 }),
    prefetch_window: intOrNull(null, {
      doc: "(MLCommons fork) s3dlio's object read-ahead window (CLOSED-allowed in MLPerf " +
        "Storage v3.0); dl-driver's readers read ahead by `reader.prefetch_size` batches.",
      status: "noop",
      min: 0,
    }),
    storage_library: strOrNull(null, {
      doc: "(MLCommons fork) Object-store client library (s3dlio, minio, s3torchconnector); " +
        "dl-driver uses the AWS SDK.",
      status: "noop",
    }),
    uri_scheme: strOrNull(null, {
      doc: "(MLCommons fork) URI scheme s3dlio uses (s3, direct, file).",
      status: "noop",
    }),
    connection_string: strOrNull(null, {
      doc: "(dl-driver) Azure connection string (else AZURE_STORAGE_CONNECTION_STRING, or " +
        "AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN).",
    }),
  }),
  skip_listing: bool(false, {
    doc: "(MLCommons fork) Derive object names from DLIO's naming convention instead of " +
      "listing the dataset (for buckets with millions of objects). Alias: " +
      "`dataset.skip_listing` (where the fork and mlpstorage put it).",
  }),
});

const dataset = section("The dataset: format, size, layout.", {
  format: oneOf(FORMATS, "tfrecord", { doc: "File format." }),
  data_folder: str("./data/", {
    doc: "Dataset root (path or URI); train files go in `train/`, eval files in `valid/`.",
  }),
  num_files_train: int(8, { doc: "Training files.", min: 0, dlioDocDefault: "1" }),
  num_files_eval: int(0, { doc: "Evaluation files.", min: 0 }),
  num_samples_per_file: int(1, { doc: "Samples in each file.", min: 1 }),
  record_length_bytes: num(65536, {
    doc: "Sample size; may be fractional (resnet50: 114660.07). Alias: `dataset.record_length` " +
      "(DLIO's legacy name).",
    unit: "bytes",
    min: 1,
  }),
  record_length_bytes_stdev: num(0, {
    doc: "Standard deviation of the sample size (normal distribution).",
    unit: "bytes",
    min: 0,
  }),
  record_length_bytes_resize: num(0, {
    doc: "Size of the decoded sample handed to the accelerator (0 = the sample itself).",
    unit: "bytes",
    min: 0,
  }),
  num_subfolders_train: int(0, { doc: "Round-robin sub-folders of `train/` (if > 1).", min: 0 }),
  num_files_generated: intOrNull(null, {
    doc: "(MLCommons fork) Training files the dataset was generated with (the `_of_<N>` in their " +
      "names; mlpstorage takes it from the datagen manifest): a run may read only the first " +
      "`num_files_train` of a bigger dataset. null: `num_files_train`.",
    min: 1,
  }),
  listing_validation_interval: intOrNull(null, {
    doc: "(MLCommons fork) With `skip_listing`, rank 0 checks that the first, the last and every " +
      "N-th derived file exists before training (not timed). null: mlpstorage's choice by file " +
      "count (1 below 10 k files, 10 below 100 k, 100 below 1 M, 1,000 below 10 M, else " +
      "10,000); 0: no checks. Synthetic data reads no file and is not checked.",
    min: 0,
  }),
  num_subfolders_eval: int(0, { doc: "Round-robin sub-folders of `valid/` (if > 1).", min: 0 }),
  file_prefix: str("img", { doc: "File name prefix." }),
  compression: oneOf(["none", "gzip", "lzf", "bz2", "zip", "xz"], "none", {
    doc: "Compression: `zip` for npz (deflated members, as np.savez_compressed), `gzip` for " +
      "hdf5; other combinations are refused (hdf5) or warned about and not applied.",
  }),
  compression_level: int(4, { doc: "gzip/deflate level (0-9).", min: 0, max: 9 }),
  enable_chunking: bool(false, { doc: "Unused by DLIO.", status: "noop" }),
  chunk_size: int(0, { doc: "Unused by DLIO.", status: "noop", min: 0 }),
  generation_buffer_size: int(2147483648, {
    doc: "indexed_binary generator write buffer.",
    unit: "bytes",
    min: 1,
    status: "planned",
  }),
  keep_files: bool(true, { doc: "False deletes `data_folder` at the end of the run." }),
  record_dims: intList({ doc: "Explicit sample shape; overrides record_length_bytes." }),
  record_element_type: oneOf(ELEMENT_TYPES, "uint8", { doc: "numpy dtype of sample elements." }),
  record_element_bytes: int(4, {
    doc: "Parsed by DLIO, then overwritten by the dtype size; ignored.",
    status: "noop",
    min: 1,
  }),
  parquet: section("Parquet layout (MLCommons fork / MLPerf Storage v3).", {
    columns: anyList({
      doc: "Columns: a list of {name, dtype, size, read}; each sample is one row. Empty: one " +
        "`data` column of the sample's bytes.",
    }),
    row_group_size: int(1024, { doc: "Rows per row group.", min: 1 }),
    read_mode: oneOf(["row_group"], "row_group", {
      doc: "How rows are read: decode the row's row group (the columns with read: true).",
    }),
    compression: oneOf(["none", "snappy"], "none", { doc: "Column compression." }),
    row_group_cache_size: int(4, {
      doc: "(MLCommons fork) Decoded row groups each reader keeps per open file (LRU); a " +
        "sample in a cached row group costs no read.",
      min: 1,
    }),
    use_s3dlio_gen: bool(false, {
      doc: "(MLCommons fork) Generate Parquet through s3dlio; dl-driver has its own writer.",
      status: "noop",
    }),
  }),
  hdf5: section("HDF5 layout.", {
    num_dset_per_record: int(1, {
      doc: "Datasets per record (`records_0..k-1`, the sample's first dim split across them).",
      min: 1,
    }),
    chunk_dims: intList({ doc: "h5py chunk shape of each dataset (empty: contiguous)." }),
    max_shape: intList({ doc: "h5py maxshape.", status: "planned" }),
  }),
});

const reader = section("How samples are read (alias: `data_reader`).", {
  data_loader: oneOf(
    ["tensorflow", "pytorch", "jax", "dali", "native_dali", "synthetic", "custom", "none"],
    "tensorflow",
    {
      doc: "Framework data loader being emulated (its profile: docs/frameworks.md; `jax` is " +
        "dl-driver's Grain profile).",
    },
  ),
  batch_size: int(1, { doc: "Training batch size per rank.", min: 1 }),
  batch_size_eval: int(1, { doc: "Evaluation batch size per rank.", min: 1 }),
  read_threads: int(1, { doc: "Concurrent sample reads (0 = in the training loop).", min: 0 }),
  computation_threads: int(1, {
    doc: "tf.data parse parallelism. dl-driver parses in the reader thread that read the " +
      "record, so parsing runs `read_threads` wide; accepted and reported.",
    min: 1,
    status: "noop",
  }),
  prefetch_size: int(2, {
    doc: "Batches read ahead of the training loop.",
    min: 0,
    dlioDocDefault: "0",
  }),
  file_shuffle: oneOf(SHUFFLE, "off", { doc: "Shuffle file order per epoch." }),
  sample_shuffle: oneOf(SHUFFLE, "off", { doc: "Shuffle sample order per epoch." }),
  shuffle_size: int(1024, {
    doc: "tf.data shuffle buffer (records) between reading and batching, when sample_shuffle " +
      "is on (tensorflow profile).",
    min: 1,
  }),
  transfer_size: intOrNull(null, {
    doc: "TFRecord read size when streaming files (null: tf.data's 256 KiB).",
    unit: "bytes",
    min: 1,
    dlioDocDefault: "262144",
  }),
  read_type: oneOf(["on_demand", "memory"], "on_demand", {
    doc: "`on_demand`: open, read and close the file for every sample.",
  }),
  file_access: oneOf(["multi", "shared", "collective"], "multi", {
    doc: "Unused by DLIO.",
    status: "noop",
  }),
  preprocess_time: distribution({
    doc: "Seconds of preprocessing per sample, spent in the reader thread after decoding " +
      "(number or distribution).",
    unit: "s",
  }),
  preprocess_time_stdev: num(0, {
    doc: "Adds a normal stdev to preprocess_time.",
    unit: "s",
    min: 0,
  }),
  pin_memory: bool(true, { doc: "PyTorch pin_memory; no effect (no GPU copy).", status: "noop" }),
  multiprocessing_context: str("fork", { doc: "PyTorch worker start method.", status: "noop" }),
  dont_use_mmap: bool(false, { doc: "DALI readers only.", status: "noop" }),
  odirect: bool(false, { doc: "Read local files with O_DIRECT (bypassing the page cache)." }),
  odirect_fallback: bool(false, {
    doc: "(dl-driver) When the file system refuses O_DIRECT, read buffered instead of failing; " +
      "the report's `odirect_fallback` says it happened.",
  }),
  transformed_record_dims: intList({ doc: "Shape of the decoded sample." }),
  transformed_record_element_type: oneOf(ELEMENT_TYPES, "uint8", {
    doc: "dtype of the decoded sample.",
  }),
  reader_classname: strOrNull(null, { doc: "Custom reader class (plugin).", status: "planned" }),
  data_loader_classname: strOrNull(null, {
    doc: "Custom data loader class (plugin).",
    status: "planned",
  }),
  data_loader_sampler: oneOfOrNull(["iterative", "index"], null, {
    doc: "Sampler; derived from the loader when unset (tensorflow: iterative, others: index).",
  }),
  access_order: oneOf(["native", "dlio"], "native", {
    doc: "(dl-driver) `native`: shuffles do what the config says. `dlio`: reproduce the order " +
      "DLIO really reads (PyTorch/DALI ignore file_shuffle and sample_shuffle; TFRecord " +
      "ignores file_shuffle; the iterative sampler's file-offset bug) for side-by-side runs.",
  }),
  read_index: bool(false, {
    doc: "(dl-driver) TFRecord: read single records with ranged reads through DLIO's `.idx` " +
      "index files instead of reading whole files.",
  }),
  verify_checksums: bool(true, {
    doc: "(dl-driver) Verify format checksums when decoding (NPZ zip CRC-32, as numpy does).",
  }),
  file_trimming: oneOf(["none", "dlio", "mlperf_v3"], "dlio", {
    doc: "How the file list is trimmed and dealt to ranks, as each DLIO does. `dlio` (plain " +
      "`run`): upstream DLIO (PR #339): the file count is cut to a multiple of " +
      "num_samples_per_file × batch_size × ranks (eval: batch_size_eval), which can leave " +
      "nothing (resnet50's unit is 1251 × 400 × ranks files: refused, where DLIO runs 0 steps " +
      "and exits 0). `mlperf_v3`: MLPerf Storage v3.0's DLIO: rank r owns files r, r+P, r+2P, … " +
      "trimmed to ⌊files/P⌋ each (`dl-driver mlperf` sets it). `none`: every file, contiguous " +
      "sample ranges per rank (`mlperf_storage_v2.0`'s DLIO; the v2.0 `mlperf` forms set it). " +
      "TFRecord under tf.data is dealt round-robin by tf.data itself. Trimming that drops " +
      "files, and epochs of fewer than 3 steps (DLIO's throughput uses steps − 2), are warned " +
      "about.",
  }),
  drop_page_cache: oneOf(["off", "fadvise", "drop_caches"], "off", {
    doc: "(MLCommons fork) Drop the training files from the page cache before every epoch, " +
      "outside the timed window, as MLPerf Storage v3.0's DLIO does (`dl-driver mlperf` sets " +
      "fadvise): `fadvise` calls posix_fadvise(DONTNEED) on every training file (local file " +
      "systems; no root needed); `drop_caches` writes 3 to /proc/sys/vm/drop_caches (root), " +
      "else falls back to fadvise. Reported as `page_cache_*` fields.",
  }),
  decode_images: bool(true, {
    doc: "(dl-driver) Decode JPEG/PNG samples, as upstream DLIO's PIL reader does; False reads " +
      "them as bytes without decoding, as MLPerf Storage v3.0's DLIO does (`dl-driver mlperf` " +
      "sets False).",
  }),
});

const train = section("Emulated training.", {
  epochs: int(1, { doc: "Epochs.", min: 1 }),
  computation_time: distribution({
    doc: "Seconds of emulated compute per step (number or distribution).",
    unit: "s",
  }),
  computation_time_stdev: num(0, {
    doc: "Adds a normal stdev to computation_time.",
    unit: "s",
    min: 0,
  }),
  total_training_steps: int(-1, { doc: "Caps steps per epoch (-1 = no cap).", min: -1 }),
  seed: int(123, { doc: "Seed for data, sizes, shuffles and compute draws.", min: 0 }),
  seed_change_epoch: bool(true, { doc: "Reseed shuffles with seed+epoch." }),
});

const evaluation = section("Evaluation epochs.", {
  eval_time: distribution({ doc: "Seconds per eval step.", unit: "s" }),
  eval_time_stdev: num(0, { doc: "Adds a normal stdev to eval_time.", unit: "s", min: 0 }),
  eval_after_epoch: int(1, { doc: "First epoch followed by evaluation.", min: 0 }),
  epochs_between_evals: int(1, { doc: "Epochs between evaluations.", min: 1 }),
});

const checkpoint = section("Checkpoints (docs/checkpoint.md).", {
  checkpoint_folder: str("./checkpoints/", {
    doc: "Checkpoint location (a path or URI; `checkpoint.uri` wins when set).",
  }),
  checkpoint_after_epoch: int(1, { doc: "First epoch followed by a checkpoint.", min: 0 }),
  epochs_between_checkpoints: int(1, { doc: "Epochs between checkpoints.", min: 1 }),
  steps_between_checkpoints: int(-1, {
    doc: "Checkpoint every N steps of an epoch (the checkpoint ends a block); -1: per epoch.",
    min: -1,
  }),
  type: oneOf(["rank_zero", "all_ranks"], "rank_zero", { doc: "Unused in DLIO.", status: "noop" }),
  mode: oneOf(["default", "subset"], "default", {
    doc: "`subset`: DP is `model.parallelism.data`; ranks beyond TP·PP·DP write nothing.",
  }),
  fsync: bool(false, {
    doc: "fsync every checkpoint file and its folder (a dead key in DLIO; it works here).",
  }),
  time_between_checkpoints: num(-1, {
    doc: "Checkpoint-only mode: seconds to sleep before each write (-1: none; DLIO sleeps 1 s).",
    unit: "s",
    min: -1,
  }),
  num_checkpoints_write: int(-1, { doc: "Checkpoint-only mode: checkpoints written.", min: -1 }),
  num_checkpoints_read: int(-1, { doc: "Checkpoint-only mode: checkpoints restored.", min: -1 }),
  recovery_rank_shift: bool(false, { doc: "Read a neighbour's files.", status: "planned" }),
  rank_sync: bool(false, { doc: "Barrier after each save/load, inside its timing." }),
  randomize_tensor: bool(true, {
    doc: "Random data (incompressible, no repeated 4 KiB page) or constant data.",
  }),
  ksm: dict({ doc: "Kernel same-page merging options.", status: "noop" }),
  checkpoint_mechanism_classname: strOrNull(null, {
    doc: "Custom mechanism (plugin).",
    status: "planned",
  }),
  enabled: bool(false, {
    doc: "(dl-driver) Checkpoint during training even when workflow.checkpoint is False.",
  }),
  uri: strOrNull(null, {
    doc: "(dl-driver) Checkpoint location as a URI (file://, direct://, s3://, az://, mem://).",
  }),
  compression: oneOf(["none", "zstd"], "none", {
    doc: "(dl-driver) Compress checkpoint data (one zstd frame per 8 MiB chunk).",
  }),
  compression_level: int(3, { doc: "(dl-driver) zstd level (1-22).", min: 1, max: 22 }),
  verify: bool(false, { doc: "(dl-driver) Check CRC-32C of every file on restore." }),
});

const output = section("Where results go.", {
  folder: strOrNull(null, {
    doc: "Results folder (default `results/<model.name>/<YYYYmmdd_HHMMSS>`).",
  }),
  log_file: str("dlio.log", { doc: "Log file name inside the results folder." }),
  metric: section("Metric windows.", {
    exclude_start_steps: int(1, { doc: "Steps excluded at the start of a block.", min: 0 }),
    exclude_end_steps: int(0, { doc: "Steps excluded at the end of a block.", min: 0 }),
  }),
});

const profiling = section("Profilers.", {
  profiler: oneOf(["iostat", "none", "darshan", "tensorboard"], "iostat", {
    doc: "Profiler started when workflow.profiling is true.",
    status: "planned",
  }),
  iostat_devices: strOrList({ doc: "Devices for iostat.", status: "planned" }),
});

const metric = section("Pass criteria.", {
  au: num(0.9, {
    doc: "Accelerator utilisation threshold (fraction).",
    min: 0,
    max: 1,
    maxHint: "a fraction: 0.9 means 90 %",
  }),
});

/** The whole workload schema. */
export const SCHEMA = section("A DLIO workload.", {
  model,
  framework: oneOf(["tensorflow", "pytorch", "jax"], "tensorflow", {
    doc: "Framework being emulated (`jax`: dl-driver).",
  }),
  workflow,
  storage,
  dataset,
  reader,
  train,
  evaluation,
  checkpoint,
  output,
  profiling,
  metric,
});

/** The resolved workload configuration. */
export type WorkloadConfig = Infer<typeof SCHEMA>;

/** Section aliases DLIO accepts. */
export const SECTION_ALIASES: Record<string, string> = { data_reader: "reader" };

/**
 * Key aliases: names DLIO, its MLCommons fork or mlpstorage use for a key dl-driver spells
 * otherwise (dotted paths; giving both is an error).
 */
export const KEY_ALIASES: Record<string, string> = {
  // DLIO's legacy name (MLPerf Storage v3.0's flux workloads use it).
  "dataset.record_length": "dataset.record_length_bytes",
  // Where the MLCommons fork and mlpstorage put skip_listing.
  "dataset.skip_listing": "storage.skip_listing",
};
