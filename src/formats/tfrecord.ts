/**
 * TFRecord as DLIO writes it: one `tf.train.Example` per sample with features `image` (the raw
 * sample bytes) and `size` (int64 byte count), each record framed as
 * `uint64 length, uint32 masked_crc32c(length), data, uint32 masked_crc32c(data)`.
 * Reading parses every record's framing, verifies both CRCs (unless told not to) and decodes the
 * sample's Example.
 * @module
 */
import { crc32c } from "@node-rs/crc32";
import {
  type Codec,
  type FileSpec,
  FormatError,
  ITEMSIZE,
  type OpenedFile,
  type OpenOptions,
} from "./codec.ts";
import { fillElements } from "./content.ts";
import { decodeExample, encodeExample } from "./example.ts";
import { Prng } from "../util/prng.ts";

/** TFRecord's CRC mask. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data) >>> 0;
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function sampleBytes(spec: FileSpec): number {
  return spec.dims.reduce((a, b) => a * b, 1) * ITEMSIZE[spec.dtype];
}

function example(image: Uint8Array): Uint8Array {
  return encodeExample([
    ["image", { bytes: [image] }],
    ["size", { int64: [BigInt(image.byteLength)] }],
  ]);
}

/** Frame one record. */
export function frameRecord(data: Uint8Array): Uint8Array[] {
  const head = new Uint8Array(12);
  const dv = new DataView(head.buffer);
  dv.setBigUint64(0, BigInt(data.byteLength), true);
  dv.setUint32(8, maskedCrc32c(head.subarray(0, 8)), true);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, maskedCrc32c(data), true);
  return [head, data, tail];
}

/** The sample of one whole framed record. */
function decodeRecord(bytes: Uint8Array, opts: OpenOptions): Uint8Array {
  const [r] = recordIndex(bytes, opts);
  if (!r) throw new FormatError(opts.name, "empty record");
  return exampleImage(bytes.subarray(r.offset, r.offset + r.length), 0, opts.name);
}

/** The TFRecord codec. */
export const tfrecordCodec: Codec = {
  format: "tfrecord",
  extension: "tfrecord",
  access: "stream",
  encodedSize(spec) {
    // Every record has the same size: compute one Example's length from a zero image.
    const ex = example(new Uint8Array(sampleBytes(spec))).byteLength;
    return spec.samples * (16 + ex);
  },
  *encode(spec) {
    const prng = new Prng(spec.seed, "content", spec.fileIndex);
    const image = new Uint8Array(sampleBytes(spec));
    for (let i = 0; i < spec.samples; i++) {
      fillElements(prng, spec.dtype, image);
      yield* frameRecord(example(image));
    }
  },
  open(bytes, opts) {
    return openTfrecord(bytes, opts);
  },
  sidecars(spec, key) {
    // DLIO's index (DALI's tfrecord2idx): "<record offset> <record length>" per line.
    const recLen = (this.encodedSize(spec) ?? 0) / Math.max(1, spec.samples);
    const lines = Array.from({ length: spec.samples }, (_, i) => `${i * recLen} ${recLen}\n`);
    return [{ key: indexKey(key), data: new TextEncoder().encode(lines.join("")) }];
  },
  index: {
    keys(key) {
      return [indexKey(key)];
    },
    parse([text], opts) {
      const out: { offset: number; length: number }[] = [];
      const lines = new TextDecoder().decode(text).split("\n");
      lines.forEach((line, i) => {
        if (line.trim() === "") return;
        const m = /^(\d+) (\d+)$/.exec(line.trim());
        if (!m) throw new FormatError(opts.name, `line ${i + 1}: expected "<offset> <length>"`);
        const offset = Number(m[1]), length = Number(m[2]);
        if (length < 16 || length > 2 ** 31) {
          throw new FormatError(
            opts.name,
            `line ${i + 1}: record length ${length} is not plausible`,
          );
        }
        out.push({ offset, length });
      });
      return out;
    },
    decode: decodeRecord,
  },
  framing: {
    // length (8) + masked CRC-32C of the length (4)
    headerBytes: 12,
    // tf.data's TFRecordDataset buffer_size default
    defaultTransferSize: 256 * 1024,
    recordLength(header, opts) {
      const dv = new DataView(header.buffer, header.byteOffset, 12);
      const len = Number(dv.getBigUint64(0, true));
      if (opts.verifyChecksums && maskedCrc32c(header.subarray(0, 8)) !== dv.getUint32(8, true)) {
        throw new FormatError(opts.name, "record length CRC-32C mismatch (file is corrupt)");
      }
      if (len > 2 ** 31) throw new FormatError(opts.name, `record length ${len} is not plausible`);
      return 16 + len;
    },
    decode: decodeRecord,
  },
};

/** DLIO's index location: `<data_folder>/index/<train|valid>/<file>.idx`. */
export function indexKey(key: string): string {
  const split = key.split("/")[0]!;
  return `index/${split}/${key.slice(key.lastIndexOf("/") + 1)}.idx`;
}

function exampleImage(record: Uint8Array, i: number, name: string): Uint8Array {
  let f;
  try {
    f = decodeExample(record);
  } catch (e) {
    throw new FormatError(name, `record ${i}: not a tf.train.Example (${(e as Error).message})`);
  }
  const img = f.get("image");
  if (!img || !("bytes" in img) || img.bytes.length !== 1) {
    throw new FormatError(name, `record ${i}: no 'image' bytes feature`);
  }
  return img.bytes[0]!;
}

/** Offsets and lengths of every record's data in a TFRecord file (framing checked). */
export function recordIndex(
  bytes: Uint8Array,
  opts: OpenOptions,
): { offset: number; length: number }[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { offset: number; length: number }[] = [];
  let p = 0;
  while (p < bytes.byteLength) {
    if (p + 12 > bytes.byteLength) {
      throw new FormatError(opts.name, `truncated record header at byte ${p}`);
    }
    const len = Number(dv.getBigUint64(p, true));
    if (
      opts.verifyChecksums && maskedCrc32c(bytes.subarray(p, p + 8)) !== dv.getUint32(p + 8, true)
    ) {
      throw new FormatError(
        opts.name,
        `record at byte ${p}: length CRC-32C mismatch (file is corrupt)`,
      );
    }
    const start = p + 12, end = start + len;
    if (end + 4 > bytes.byteLength) {
      throw new FormatError(opts.name, `record at byte ${p}: truncated`);
    }
    if (
      opts.verifyChecksums && maskedCrc32c(bytes.subarray(start, end)) !== dv.getUint32(end, true)
    ) {
      throw new FormatError(
        opts.name,
        `record at byte ${p}: data CRC-32C mismatch (file is corrupt)`,
      );
    }
    out.push({ offset: start, length: len });
    p = end + 4;
  }
  return out;
}

function openTfrecord(bytes: Uint8Array, opts: OpenOptions): OpenedFile {
  const index = recordIndex(bytes, opts);
  let dims: number[] = [];
  const image = (i: number): Uint8Array => {
    const r = index[i]!;
    let f;
    try {
      f = decodeExample(bytes.subarray(r.offset, r.offset + r.length));
    } catch (e) {
      throw new FormatError(
        opts.name,
        `record ${i}: not a tf.train.Example (${(e as Error).message})`,
      );
    }
    const img = f.get("image");
    if (!img || !("bytes" in img) || img.bytes.length !== 1) {
      throw new FormatError(opts.name, `record ${i}: no 'image' bytes feature`);
    }
    return img.bytes[0]!;
  };
  if (index.length > 0) dims = [image(0).byteLength];
  return {
    numSamples: index.length,
    dims,
    dtype: "uint8",
    sample(i) {
      if (i < 0 || i >= index.length) {
        throw new FormatError(opts.name, `sample ${i} out of range (0..${index.length - 1})`);
      }
      return image(i);
    },
  };
}
