/**
 * Run fio (the benchmarks' reference) with JSON output; returns the job group's read and write
 * bytes per second.
 * @module
 */

/** Bytes/s fio measured, and read requests per second. */
export interface FioResult {
  read: number;
  write: number;
  readIops: number;
}

/** Run `fio <args> --group_reporting --output-format=json`. */
export async function fio(args: string[]): Promise<FioResult> {
  const out = await new Deno.Command("fio", {
    args: [...args, "--group_reporting", "--output-format=json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(`fio failed: ${new TextDecoder().decode(out.stderr)}`);
  const text = new TextDecoder().decode(out.stdout);
  // fio may print lines ("opendir added N files") before the JSON.
  const job = JSON.parse(text.slice(text.indexOf("{"))).jobs[0];
  return {
    read: job.read.bw_bytes as number,
    write: job.write.bw_bytes as number,
    readIops: job.read.iops as number,
  };
}
