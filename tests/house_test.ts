// The house rules (lint/house.ts) hold for the whole tree: layers, function lengths, module lines.
import assert from "node:assert/strict";

Deno.test("house rules: deno lint (with the house plug-in) passes on the tree", async () => {
  const root = new URL("..", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["lint", "--quiet"],
    cwd: root,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
});

Deno.test("house rules: the layer rule catches an upward import", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/src/metrics`, { recursive: true });
  await Deno.mkdir(`${dir}/src/train`, { recursive: true });
  await Deno.writeTextFile(`${dir}/src/train/loop.ts`, "/** x */\nexport const x = 1;\n");
  await Deno.writeTextFile(
    `${dir}/src/metrics/bad.ts`,
    '/** y */\nimport { x } from "../train/loop.ts";\nexport const y = x;\n',
  );
  const plugin = new URL("../lint/house.ts", import.meta.url).href;
  await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ lint: { plugins: [plugin] } }));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["lint"],
    cwd: dir,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.notEqual(out.code, 0);
  assert.match(text, /src\/metrics\/ may not import from src\/train\//);
});
