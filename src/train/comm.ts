/**
 * How ranks talk: a barrier (DLIO's emulated all-reduce per step). One process, one rank for
 * now; MPI plugs in here.
 * @module
 */

/** The communicator seen by the training loop. */
export interface Comm {
  readonly rank: number;
  readonly size: number;
  barrier(): Promise<void>;
}

/** A single rank on its own. */
export const soloComm: Comm = { rank: 0, size: 1, barrier: () => Promise.resolve() };
