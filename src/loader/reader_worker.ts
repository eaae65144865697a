/**
 * A reader thread: opens the backend from its URI, reads samples synchronously, writes them
 * into the shared batch buffers and reports timings. Messages: `init`, `epoch`, `job`.
 * @module
 */
/// <reference lib="deno.worker" />
import { codecFor } from "../formats/mod.ts";
import { openBackend } from "../storage/open.ts";
import { UserError } from "../errors.ts";
import { type EpochSetup, SampleReader } from "./sample_reader.ts";

let reader: SampleReader | undefined;
let epoch: EpochSetup | undefined;

self.onmessage = async (ev: MessageEvent) => {
  const m = ev.data;
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
        ring: (m.setup.ring as SharedArrayBuffer[]).map((b) => new Uint8Array(b)),
        counter: new Int32Array(m.setup.counter as SharedArrayBuffer),
      };
      self.postMessage({ type: "ready" });
    } else if (m.type === "job") {
      const r = await reader!.read(m.job, epoch!);
      self.postMessage({ type: "done", id: m.id, result: r });
    }
  } catch (e) {
    self.postMessage({
      type: "error",
      id: m.id,
      error: {
        message: (e as Error)?.message ?? String(e),
        name: (e as Error)?.name ?? "Error",
        user: e instanceof UserError,
        exitCode: e instanceof UserError ? e.exitCode : undefined,
      },
    });
  }
};
