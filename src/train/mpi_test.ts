// Tests of MPI launch detection and the missing-libmpi error.
import assert from "node:assert/strict";
import { UserError } from "../errors.ts";
import { launchInfo, processComm } from "./mpi.ts";

const env = (vars: Record<string, string>) => (k: string) => vars[k];

Deno.test("launch detection: Open MPI, MPICH/PMI, Slurm variables; none means one process", () => {
  assert.deepEqual(
    launchInfo(env({ OMPI_COMM_WORLD_RANK: "3", OMPI_COMM_WORLD_SIZE: "4" })),
    { rank: 3, size: 4, launcher: "Open MPI" },
  );
  assert.deepEqual(launchInfo(env({ PMI_RANK: "1", PMI_SIZE: "2" })), {
    rank: 1,
    size: 2,
    launcher: "MPICH/PMI",
  });
  assert.deepEqual(launchInfo(env({ SLURM_PROCID: "0", SLURM_NTASKS: "8" })), {
    rank: 0,
    size: 8,
    launcher: "Slurm",
  });
  assert.equal(launchInfo(env({})), undefined);
  assert.equal(processComm(env({})).kind, "solo");
  assert.equal(processComm(env({ SLURM_PROCID: "0", SLURM_NTASKS: "1" })).size, 1);
});

Deno.test("launched as a rank without a loadable libmpi: a clear error naming the fix", () => {
  assert.throws(
    () =>
      processComm(env({
        OMPI_COMM_WORLD_RANK: "0",
        OMPI_COMM_WORLD_SIZE: "2",
        DL_DRIVER_LIBMPI: "/nonexistent/libmpi.so",
      })),
    (e: unknown) =>
      e instanceof UserError && e.exitCode === 2 &&
      /rank 0 of 2 by Open MPI, but no MPI library could be loaded .*\/nonexistent\/libmpi\.so.*DL_DRIVER_LIBMPI/
        .test(e.message),
  );
});
