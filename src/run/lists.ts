/**
 * Lists that stream to the results folder as the run goes (`--latency-lists`,
 * `--visited-items`): line-oriented TSV, gzip-compressed in independent members of ~256 KiB of
 * text each (a multi-member gzip file that gzip, zcat and Python's gzip read whole), so memory
 * stays fixed however many samples are read, and a run that dies keeps every member written.
 * @module
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { latencyListFile, visitedItemsFile } from "../metrics/fields_detail.ts";
import type { ItemSink, SampleRow, SampleSink, VisitedItem } from "../metrics/recorder.ts";
import { resultsIo } from "./output_dir.ts";
import { StepSpool, stepSpoolPath } from "./step_spool.ts";

const FLUSH_AT = 256 * 1024;

/** A gzip TSV file written a member at a time. */
export class ListFile {
  #file: Deno.FsFile;
  #lines: string[] = [];
  #size = 0;

  constructor(readonly path: string, header: string[]) {
    this.#file = resultsIo(path, "create", () => {
      Deno.mkdirSync(join(path, ".."), { recursive: true });
      return Deno.openSync(path, { write: true, create: true, truncate: true });
    });
    this.line(header.join("\t"));
  }

  line(text: string): void {
    this.#lines.push(text);
    this.#size += text.length + 1;
    if (this.#size >= FLUSH_AT) this.flush();
  }

  /** Write what is buffered as one gzip member. */
  flush(): void {
    if (this.#lines.length === 0) return;
    const data = gzipSync(new TextEncoder().encode(this.#lines.join("\n") + "\n"));
    resultsIo(this.path, "write", () => {
      for (let at = 0; at < data.byteLength;) at += this.#file.writeSync(data.subarray(at));
    });
    this.#lines = [];
    this.#size = 0;
  }

  close(): void {
    this.flush();
    this.#file.close();
  }
}

/** A rank's streamed lists, as the sinks the loop records into. */
export interface RankLists {
  samples?: SampleSink;
  items?: ItemSink;
  /** Every step's timers (always: DLIO's per-step lists are written from it). */
  steps: StepSpool;
  close(): void;
}

/** Open rank `rank`'s list files in `dir` for the lists asked for. */
export function openRankLists(
  dir: string,
  rank: number,
  want: { latencies?: boolean; visited?: boolean },
): RankLists {
  const lat = want.latencies
    ? new ListFile(join(dir, latencyListFile(rank)), [
      "epoch",
      "key",
      "sample",
      "io_ms",
      "decode_ms",
      "preprocess_ms",
      "h2d_ms",
      "bytes",
      "done_ms",
    ])
    : undefined;
  const vis = want.visited
    ? new ListFile(join(dir, visitedItemsFile(rank)), ["epoch", "key", "sample"])
    : undefined;
  const steps = new StepSpool(stepSpoolPath(dir, rank));
  return {
    steps,
    samples: lat && {
      sample: (r: SampleRow) =>
        lat.line(
          `${r.epoch}\t${r.key}\t${r.sample}\t${r.ioMs}\t${r.decodeMs}\t${r.preprocessMs}\t` +
            `${r.h2dMs}\t${r.bytes}\t${r.doneMs}`,
        ),
    },
    items: vis && { item: (v: VisitedItem) => vis.line(`${v.epoch}\t${v.key}\t${v.sample}`) },
    close: () => {
      steps.close();
      lat?.close();
      vis?.close();
    },
  };
}
