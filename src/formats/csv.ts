/**
 * CSV as DLIO writes it with pandas `to_csv`: one row per sample, `d1·d2` integer values,
 * no header. (DLIO repeats one random row for every sample; dl-driver draws each row from the
 * seed, which costs the same to read.) A sample read parses the whole file and row `i`.
 * @module
 */
import { type Codec, FormatError, type OpenedFile } from "./codec.ts";
import { Prng } from "../util/prng.ts";

const enc = new TextEncoder();

/** The CSV codec. Values are 0..254 (numpy's `randint(255)`), read back as uint8 samples. */
export const csvCodec: Codec = {
  format: "csv",
  extension: "csv",
  access: "whole_file",
  encodedSize() {
    return undefined; // digits per value vary
  },
  *encode(spec) {
    const prng = new Prng(spec.seed, "content", spec.fileIndex);
    const n = spec.dims.reduce((a, b) => a * b, 1);
    for (let r = 0; r < spec.samples; r++) {
      const parts = new Array<string>(n);
      for (let k = 0; k < n; k++) parts[k] = String(prng.nextU32() % 255);
      yield enc.encode(parts.join(",") + "\n");
    }
  },
  open(bytes, opts): OpenedFile {
    // Row starts (pandas' read_csv parses the whole file: so do we, to find every row).
    const starts: number[] = [];
    let p = 0;
    while (p < bytes.byteLength) {
      starts.push(p);
      const nl = bytes.indexOf(10, p);
      p = nl < 0 ? bytes.byteLength : nl + 1;
    }
    const row = (i: number): Uint8Array => {
      const s = starts[i]!;
      let e = i + 1 < starts.length ? starts[i + 1]! - 1 : bytes.byteLength;
      if (e > s && bytes[e - 1] === 10) e--;
      if (e > s && bytes[e - 1] === 13) e--;
      const out: number[] = [];
      let v = -1;
      for (let j = s; j <= e; j++) {
        const c = j < e ? bytes[j]! : 44;
        if (c >= 48 && c <= 57) v = (v < 0 ? 0 : v * 10) + (c - 48);
        else if (c === 44) {
          if (v < 0 || v > 255) {
            throw new FormatError(opts.name, `row ${i}: bad value at byte ${j} (expected 0..255)`);
          }
          out.push(v);
          v = -1;
        } else throw new FormatError(opts.name, `row ${i}: unexpected character at byte ${j}`);
      }
      return Uint8Array.from(out);
    };
    const first = starts.length ? row(0) : new Uint8Array(0);
    return {
      numSamples: starts.length,
      dims: [first.byteLength],
      dtype: "uint8",
      sample(i) {
        if (i < 0 || i >= starts.length) {
          throw new FormatError(opts.name, `row ${i} out of range (0..${starts.length - 1})`);
        }
        return i === 0 ? first : row(i);
      },
    };
  },
};
