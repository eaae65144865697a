/**
 * Plug-ins: code that runs at fixed points of a rank's run. Hooks are async and run in order
 * (plug-in by plug-in); the first error stops the run with a message naming the plug-in and the
 * hook. The checkpoint plug-in (src/checkpoint/plugin.ts) is the first.
 *
 * - `initialize()` before the first epoch;
 * - `beforeEpoch(epoch)` before each training epoch starts its clock (the page-cache drop);
 * - `afterStep(epoch, step)` after a training step's barrier, when `dueAfterStep` says so (the
 *   training loop ends its timing block first, as DLIO does around a checkpoint);
 * - `afterEpoch(epoch)` after an epoch's training steps, before evaluation;
 * - `finalize()` after the last epoch (also after a failure, to clean up; its own errors then
 *   do not hide the first one).
 * @module
 */
import { UserError } from "../errors.ts";

/** A plug-in. Every hook is optional. */
export interface Plugin {
  readonly name: string;
  initialize?(): Promise<void>;
  /** Before an epoch, outside its timed window. */
  beforeEpoch?(epoch: number): Promise<void>;
  /** Whether `afterStep` does work after this step (it then ends the timing block). */
  dueAfterStep?(epoch: number, step: number): boolean;
  afterStep?(epoch: number, step: number): Promise<void>;
  /** After an epoch's `steps` training steps. */
  afterEpoch?(epoch: number, steps: number): Promise<void>;
  finalize?(): Promise<void>;
}

/** Runs the hooks of a list of plug-ins in order. */
export class PluginHost {
  constructor(readonly plugins: Plugin[] = []) {}

  async #each(hook: string, call: (p: Plugin) => Promise<void> | undefined): Promise<void> {
    for (const p of this.plugins) {
      try {
        await call(p);
      } catch (e) {
        const msg = `plug-in ${p.name}, ${hook}: ${(e as Error)?.message ?? e}`;
        if (e instanceof UserError) throw new UserError(msg, e.exitCode, { cause: e });
        if ((e as Error)?.name === "AbortError") throw e;
        throw new Error(msg, { cause: e });
      }
    }
  }

  initialize(): Promise<void> {
    return this.#each("initialize", (p) => p.initialize?.());
  }

  beforeEpoch(epoch: number): Promise<void> {
    return this.#each(`before epoch ${epoch}`, (p) => p.beforeEpoch?.(epoch));
  }

  dueAfterStep(epoch: number, step: number): boolean {
    return this.plugins.some((p) => p.dueAfterStep?.(epoch, step) ?? false);
  }

  afterStep(epoch: number, step: number): Promise<void> {
    return this.#each(
      `after step ${step} of epoch ${epoch}`,
      (p) => p.dueAfterStep?.(epoch, step) ? p.afterStep?.(epoch, step) : undefined,
    );
  }

  afterEpoch(epoch: number, steps: number): Promise<void> {
    return this.#each(`after epoch ${epoch}`, (p) => p.afterEpoch?.(epoch, steps));
  }

  finalize(): Promise<void> {
    return this.#each("finalize", (p) => p.finalize?.());
  }
}
