/**
 * JPEG and PNG as DLIO writes them: one d1×d2 random-noise image per file (`num_samples_per_file`
 * is ignored, as in DLIO: every sample index of a file returns its image). Encoded with real
 * encoders (pngjs: 8-bit grayscale PNG; jpeg-js: baseline JPEG, quality 90, grey pixels in RGB),
 * so sizes are whatever the encoder produces, not `record_length_bytes`. A sample read decodes
 * the whole image (the CPU cost DLIO's PIL reader pays; JPEG with mozjpeg in wasm, jpeg-js where
 * the wasm cannot be read), or with `reader.decode_images: False` is the file's bytes (MLPerf
 * Storage v3.0's DLIO reads images without decoding).
 * @module
 */
import { Buffer } from "node:buffer";
import pngjs from "pngjs";
import jpeg from "jpeg-js";
import {
  type Codec,
  type FileSpec,
  FormatError,
  type OpenedFile,
  type OpenOptions,
} from "./codec.ts";
import { type DecodedImage, loadMozjpeg } from "./mozjpeg.ts";
import { Prng } from "../util/prng.ts";

function noise(spec: FileSpec): { w: number; h: number; grey: Uint8Array } {
  const [h, w] = [spec.dims[0] ?? 1, spec.dims[1] ?? spec.dims[0] ?? 1];
  const grey = new Prng(spec.seed, "content", spec.fileIndex).fill(new Uint8Array(w * h));
  return { w, h, grey };
}

function image(
  decode: (bytes: Uint8Array) => { width: number; height: number; data: Uint8Array },
  bytes: Uint8Array,
  opts: OpenOptions,
): OpenedFile {
  if (opts.decodeImages === false) return asBytes(bytes);
  const name = opts.name;
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = decode(bytes);
  } catch (e) {
    throw new FormatError(name, `cannot decode image (${(e as Error).message})`);
  }
  return {
    numSamples: 1,
    dims: [img.height, img.width],
    dtype: "uint8",
    sample() {
      return img.data;
    },
  };
}

/** Images read as bytes are their whole file: read in place (see `Codec.locate`). */
function locateBytes(_head: Uint8Array, size: number, index: number, opts: OpenOptions) {
  return opts.decodeImages === false && index === 0 ? { offset: 0, length: size } : undefined;
}

/** The file's bytes as the sample (MLPerf Storage v3.0's DLIO keeps only the byte count). */
function asBytes(bytes: Uint8Array): OpenedFile {
  return { numSamples: 1, dims: [bytes.byteLength], dtype: "uint8", sample: () => bytes };
}

/** PNG: 8-bit grayscale. */
export const pngCodec: Codec = {
  format: "png",
  extension: "png",
  access: "whole_file",
  encodedSize() {
    return undefined;
  },
  *encode(spec) {
    const { w, h, grey } = noise(spec);
    const png = new pngjs.PNG({
      width: w,
      height: h,
      colorType: 0,
      inputColorType: 0,
      bitDepth: 8,
    });
    png.data = Buffer.from(grey.buffer, grey.byteOffset, grey.byteLength);
    yield new Uint8Array(
      pngjs.PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8 }),
    );
  },
  open(bytes, opts) {
    return image(
      (b) => {
        const p = pngjs.PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
        return { width: p.width, height: p.height, data: new Uint8Array(p.data) };
      },
      bytes,
      opts,
    );
  },
  locate: locateBytes,
};

/** JPEG: baseline, quality 90. */
export const jpegCodec: Codec = {
  format: "jpeg",
  extension: "jpeg",
  access: "whole_file",
  encodedSize() {
    return undefined;
  },
  *encode(spec) {
    const { w, h, grey } = noise(spec);
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      const v = grey[i]!;
      rgba[4 * i] = v;
      rgba[4 * i + 1] = v;
      rgba[4 * i + 2] = v;
      rgba[4 * i + 3] = 255;
    }
    yield new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, 90).data);
  },
  open(bytes, opts) {
    return image(fastJpeg ?? jpegJs, bytes, opts);
  },
  locate: locateBytes,
};

/** jpeg-js's decoder (RGB): the fallback where mozjpeg's wasm cannot be loaded. */
function jpegJs(b: Uint8Array): DecodedImage {
  const d = jpeg.decode(b, {
    useTArray: true,
    formatAsRGBA: false,
    maxResolutionInMP: 400,
    maxMemoryUsageInMB: 2048,
  });
  return { width: d.width, height: d.height, data: d.data };
}

let fastJpeg: ((b: Uint8Array) => DecodedImage) | undefined;

/** Load mozjpeg (wasm) for JPEG decoding; resolves when the JPEG codec is ready either way. */
export async function jpegReady(): Promise<void> {
  fastJpeg ??= await loadMozjpeg();
}

/** Which decoder JPEG samples use here: `mozjpeg` (wasm) or `jpeg-js`. */
export function jpegDecoder(): "mozjpeg" | "jpeg-js" {
  return fastJpeg ? "mozjpeg" : "jpeg-js";
}
