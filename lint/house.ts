/**
 * dl-driver's house rules as a `deno lint` plug-in: layers point one way, functions in the run
 * path fit on a screen, and every module opens with a line on what it is for.
 * @module
 */

/** For each folder under src/, the folders it may not import from (tests are exempt). */
export const FORBIDDEN: Record<string, string[]> = {
  util: [
    "config",
    "storage",
    "formats",
    "metrics",
    "loader",
    "train",
    "checkpoint",
    "generate",
    "run",
    "commands",
  ],
  metrics: ["storage", "formats", "loader", "train", "checkpoint", "generate", "run", "commands"],
  storage: ["config", "formats", "loader", "train", "checkpoint", "generate", "run", "commands"],
  formats: ["config", "storage", "loader", "train", "checkpoint", "generate", "run", "commands"],
  config: ["loader", "train", "checkpoint", "generate", "metrics", "run", "commands"],
  generate: ["loader", "train", "checkpoint", "run", "commands"],
  loader: ["train", "checkpoint", "run", "commands"],
  train: ["checkpoint", "run", "commands"],
  checkpoint: ["loader", "run", "commands"],
  run: ["commands"],
  commands: [],
};

/** Folders (and files) whose functions must stay under MAX_FUNCTION_LINES. */
export const SHORT_FUNCTIONS = ["src/run/", "src/train/", "src/loader/", "cli.ts"];
export const MAX_FUNCTION_LINES = 80;

/** The src/ folder a file is in, or undefined. */
function layerOf(path: string): string | undefined {
  return /\/src\/([a-z_]+)\//.exec(path.replaceAll("\\", "/"))?.[1];
}

type FnNode =
  | Deno.lint.FunctionDeclaration
  | Deno.lint.FunctionExpression
  | Deno.lint.ArrowFunctionExpression;

const plugin: Deno.lint.Plugin = {
  name: "house",
  rules: {
    "layers": {
      create(context) {
        const file = context.filename.replaceAll("\\", "/");
        const from = layerOf(file);
        if (!from || file.endsWith("_test.ts")) return {};
        const forbidden = FORBIDDEN[from] ?? [];
        const check = (node: Deno.lint.Node, spec: string) => {
          if (!spec.startsWith(".")) return;
          const target = layerOf(new URL(spec, "file://" + file).pathname);
          if (target && target !== from && forbidden.includes(target)) {
            context.report({
              node,
              message: `src/${from}/ may not import from src/${target}/ (layers point one way: ` +
                "README, Architecture)",
            });
          }
        };
        return {
          ImportDeclaration(node) {
            check(node, node.source.value);
          },
          ExportNamedDeclaration(node) {
            if (node.source) check(node, node.source.value);
          },
          ExportAllDeclaration(node) {
            check(node, node.source.value);
          },
          ImportExpression(node) {
            if (node.source.type === "Literal" && typeof node.source.value === "string") {
              check(node, node.source.value);
            }
          },
        };
      },
    },
    "max-function-lines": {
      create(context) {
        const file = context.filename.replaceAll("\\", "/");
        if (file.endsWith("_test.ts")) return {};
        if (!SHORT_FUNCTIONS.some((p) => file.includes("/" + p) || file.endsWith("/" + p))) {
          return {};
        }
        const check = (node: FnNode) => {
          const [s, e] = node.range;
          const lines = context.sourceCode.text.slice(s, e).split("\n").length;
          if (lines > MAX_FUNCTION_LINES) {
            context.report({
              node,
              message: `function is ${lines} lines (at most ${MAX_FUNCTION_LINES} here)`,
            });
          }
        };
        return {
          FunctionDeclaration: check,
          FunctionExpression: check,
          ArrowFunctionExpression: check,
        };
      },
    },
    "module-doc": {
      create(context) {
        const file = context.filename.replaceAll("\\", "/");
        if (!/\/(src|scripts|lint|tests)\//.test(file) && !/\/(cli|mod)\.ts$/.test(file)) return {};
        return {
          Program(node) {
            const text = context.sourceCode.text.replace(/^#![^\n]*\n/, "");
            if (!/^\s*(\/\*\*|\/\/)/.test(text)) {
              context.report({ node, message: "a module opens with one line on what it is for" });
            }
          },
        };
      },
    },
  },
};
export default plugin;
