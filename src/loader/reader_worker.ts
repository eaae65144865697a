/**
 * A reader thread: opens the backend from its URI, reads samples (blocking I/O where the
 * backend has it), writes them
 * into the shared batch buffers and reports timings. Messages: `init`, `epoch`, `job`.
 * @module
 */
/// <reference lib="deno.worker" />
import { codecFor } from "../formats/mod.ts";
import { openBackend, type OpenOptions } from "../storage/open.ts";
import { UserError } from "../errors.ts";
import { type EpochSetup, type SampleJob, SampleReader } from "./sample_reader.ts";

let reader: SampleReader | undefined;
let epoch: EpochSetup | undefined;

// One message at a time: a reader thread reads one sample at a time (its file buffer is reused),
// even when the pool queues a second job to hide the message round trip.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent) => {
  queue = queue.then(() => handle(ev.data));
};

/** Messages from the pool. */
type Message =
  | { type: "init"; uri: string; format: string; openOptions: OpenOptions }
  | {
    type: "epoch";
    setup: Omit<EpochSetup, "ring" | "counter"> & {
      ring: SharedArrayBuffer[];
      counter: SharedArrayBuffer;
    };
  }
  | { type: "stats" }
  | { type: "job"; id: number; job: SampleJob };

async function handle(m: Message) {
  try {
    if (m.type === "init") {
      reader = new SampleReader(
        await openBackend(m.uri, m.openOptions),
        codecFor(m.format),
        () => performance.now(),
        true,
      );
      self.postMessage({ type: "ready" });
    } else if (m.type === "epoch") {
      epoch = {
        ...m.setup,
        ring: m.setup.ring.map((b) => new Uint8Array(b)),
        counter: new Int32Array(m.setup.counter),
      };
      self.postMessage({ type: "ready" });
    } else if (m.type === "stats") {
      const stats = reader?.backend.stats?.() ?? { requests: 0, retries: 0 };
      self.postMessage({ type: "stats", stats });
    } else if (m.type === "job") {
      const r = await reader!.read(m.job, epoch!);
      self.postMessage({ type: "done", id: m.id, result: r });
    }
  } catch (e) {
    self.postMessage({
      type: "error",
      id: m.type === "job" ? m.id : undefined,
      error: {
        message: (e as Error)?.message ?? String(e),
        name: (e as Error)?.name ?? "Error",
        user: e instanceof UserError,
        exitCode: e instanceof UserError ? e.exitCode : undefined,
      },
    });
  }
}
