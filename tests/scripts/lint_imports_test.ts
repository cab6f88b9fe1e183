import assert from "node:assert/strict";
import {
  findCircles,
  findUpwardImports,
  graphFromDenoInfo,
  type ImportGraph,
  layerOf,
  toDot,
} from "../../scripts/lint_imports.ts";

const LAYERS = [
  { name: "top", paths: ["src/http/"] },
  { name: "middle", paths: ["src/tools/"] },
  { name: "bottom", paths: ["src/"] },
];

function graph(edges: Record<string, string[]>): ImportGraph {
  return new Map(Object.entries(edges));
}

Deno.test("layerOf picks the most specific prefix and refuses a module in no layer", () => {
  assert.equal(layerOf("src/http/mod.ts", LAYERS), 0);
  assert.equal(layerOf("src/tools/mod.ts", LAYERS), 1);
  assert.equal(layerOf("src/log.ts", LAYERS), 2);
  assert.throws(() => layerOf("elsewhere.ts", LAYERS), /in no layer/);
});

Deno.test("findCircles reports each circle once, a self-import included, and nothing in a tree", () => {
  assert.deepEqual(
    findCircles(graph({ "a.ts": ["b.ts"], "b.ts": ["c.ts"], "c.ts": ["a.ts"], "d.ts": ["a.ts"] })),
    [["a.ts", "b.ts", "c.ts"]],
  );
  assert.deepEqual(findCircles(graph({ "a.ts": ["a.ts"] })), [["a.ts"]]);
  assert.deepEqual(
    findCircles(graph({ "a.ts": ["b.ts", "c.ts"], "b.ts": ["c.ts"], "c.ts": [] })),
    [],
  );
});

Deno.test("findUpwardImports names an import from a lower layer to a higher one, not the reverse", () => {
  const upward = findUpwardImports(
    graph({
      "src/http/mod.ts": ["src/tools/mod.ts", "src/log.ts"],
      "src/tools/mod.ts": ["src/log.ts"],
      "src/log.ts": ["src/http/mod.ts"],
    }),
    LAYERS,
  );
  assert.deepEqual(upward, ["src/log.ts -> src/http/mod.ts (bottom -> top)"]);
});

Deno.test("graphFromDenoInfo keeps local modules and their local imports, code and type", () => {
  const root = new URL("file:///repo/");
  const info = {
    modules: [
      {
        specifier: "file:///repo/main.ts",
        dependencies: [
          { code: { specifier: "file:///repo/src/cli.ts" } },
          { type: { specifier: "file:///repo/src/types.ts" } },
          { code: { specifier: "npm:/zod@4" } },
        ],
      },
      { specifier: "npm:/zod@4" },
    ],
  };
  assert.deepEqual(
    [...graphFromDenoInfo(info, root)],
    [["main.ts", ["src/cli.ts", "src/types.ts"]]],
  );
});

Deno.test("toDot draws every module inside its layer's cluster and every import", () => {
  const dot = toDot(graph({ "src/http/mod.ts": ["src/log.ts"], "src/log.ts": [] }), LAYERS);
  assert.match(dot, /label="top";\n {4}"src\/http\/mod.ts";/);
  assert.match(dot, /"src\/http\/mod.ts" -> "src\/log.ts";/);
});
Deno.test("the server's own import graph has no circle and no upward import", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run", "--allow-read", "scripts/lint_imports.ts"],
    cwd: new URL("../../", import.meta.url),
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
});
