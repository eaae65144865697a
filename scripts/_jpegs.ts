/**
 * The benches' retinanet-like dataset: `n` small JPEG files (~4 KiB). jpeg-js needs ~11 ms to
 * encode even a 64×64 image (its encoder builds its tables on every call), so 1,000 files are
 * generated with dl-driver and copied under the other names (the content repeats every 1,000
 * files; reading does not care). Kept between runs: a folder that already holds the last
 * file is reused.
 * @module
 */
import { join } from "node:path";
import { cliJson } from "./_bench_cli.ts";

/** `<root>/data/train/img_<i>_of_<n>.jpeg`; `args`: the run's dataset arguments. */
export async function smallJpegs(root: string, n: number, args: string[]): Promise<string> {
  const folder = join(root, "data"), seed = join(root, "seed");
  const templates = Math.min(1000, n);
  const name = (i: number, of: number) =>
    `img_${String(i).padStart(String(of).length, "0")}_of_${of}.jpeg`;
  if (await Deno.stat(join(folder, "train", name(n - 1, n))).then(() => true, () => false)) {
    return folder;
  }
  for (const d of [folder, seed]) await Deno.remove(d, { recursive: true }).catch(() => {});
  await cliJson([
    "generate",
    ...args,
    `dataset.data_folder=${seed}`,
    `dataset.num_files_train=${templates}`,
    "dataset.num_files_eval=0",
    "--threads",
    "8",
  ]);
  await Deno.mkdir(join(folder, "train"), { recursive: true });
  for (let i = 0; i < n; i++) {
    await Deno.copyFile(
      join(seed, "train", name(i % templates, templates)),
      join(folder, "train", name(i, n)),
    );
  }
  return folder;
}
