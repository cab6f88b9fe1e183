/**
 * `deno task lint:imports`: the import graph of the server has no circle, and
 * no module imports from a layer above its own (the layers are in
 * `docs/design.md`). `--dot` prints the graph for Graphviz instead.
 *
 * @module
 */

/** Local modules and the local modules each imports, by path from the repository root. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** One layer: the paths it holds, by prefix (a folder ends with `/`). */
export interface Layer {
  readonly name: string;
  readonly paths: readonly string[];
}

/**
 * The layers, top first: a module may import its own layer and those below.
 * Config and the base helpers sit at the bottom because every layer reads them.
 */
export const LAYERS: readonly Layer[] = [
  { name: "entry", paths: ["main.ts", "src/cli.ts", "src/doctor.ts"] },
  { name: "transports", paths: ["src/http/", "src/stdio.ts"] },
  {
    name: "server",
    paths: [
      "src/dependencies.ts",
      "src/server.ts",
      "src/health.ts",
      "src/resources.ts",
      "src/prompts.ts",
      "src/instruments.ts",
    ],
  },
  { name: "tools", paths: ["src/tools/"] },
  {
    name: "discovery and auth",
    paths: ["src/discovery/", "src/auth.ts", "src/auth_sources.ts", "src/demo.ts"],
  },
  { name: "upstream", paths: ["src/upstream.ts"] },
  { name: "config", paths: ["src/config/", "src/permissions.ts"] },
  { name: "base", paths: ["src/", "deno.json"] },
];

/** The index in {@linkcode LAYERS} of the layer `path` belongs to; the most specific prefix wins. */
export function layerOf(path: string, layers: readonly Layer[] = LAYERS): number {
  let best = -1;
  let bestLength = -1;
  layers.forEach((layer, index) => {
    for (const prefix of layer.paths) {
      const matches = prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix;
      if (matches && prefix.length > bestLength) [best, bestLength] = [index, prefix.length];
    }
  });
  if (best < 0) throw new Error(`${path} is in no layer: add it to LAYERS in lint_imports.ts`);
  return best;
}

/** Every circle of imports (strongly connected components of more than one module, or a self-import). */
export function findCircles(graph: ImportGraph): string[][] {
  // Tarjan's algorithm, iterative so that a deep graph cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let counter = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work.at(-1);
      if (!frame) break;
      const target = (graph.get(frame.node) ?? [])[frame.next++];
      if (target !== undefined) {
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      const selfImport = (graph.get(frame.node) ?? []).includes(frame.node);
      if (component.length > 1 || selfImport) circles.push(component.sort());
    }
  }
  return circles;
}

/** Every import from a module to one in a layer above it, as `from -> to (layer -> layer)`. */
export function findUpwardImports(graph: ImportGraph, layers: readonly Layer[] = LAYERS): string[] {
  const upward: string[] = [];
  for (const [from, targets] of graph) {
    const fromLayer = layerOf(from, layers);
    for (const to of targets) {
      const toLayer = layerOf(to, layers);
      if (toLayer < fromLayer) {
        upward.push(`${from} -> ${to} (${layers[fromLayer]!.name} -> ${layers[toLayer]!.name})`);
      }
    }
  }
  return upward.sort();
}

interface DenoInfoModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
}

/** The local part of `deno info --json` output, with paths relative to `root`. */
export function graphFromDenoInfo(info: { modules: DenoInfoModule[] }, root: URL): ImportGraph {
  const local = (specifier: string | undefined) =>
    specifier?.startsWith(root.href) ? specifier.slice(root.href.length) : undefined;
  const graph = new Map<string, string[]>();
  for (const module of info.modules) {
    const from = local(module.specifier);
    if (!from) continue;
    const targets = new Set<string>();
    for (const dependency of module.dependencies ?? []) {
      for (const target of [dependency.code?.specifier, dependency.type?.specifier]) {
        const to = local(target);
        if (to) targets.add(to);
      }
    }
    graph.set(from, [...targets].sort());
  }
  return graph;
}

/** The graph in Graphviz's dot language, one cluster per layer. */
export function toDot(graph: ImportGraph, layers: readonly Layer[] = LAYERS): string {
  const lines = ["digraph imports {", "  rankdir=TB;", "  node [shape=box, fontsize=10];"];
  layers.forEach((layer, index) => {
    const members = [...graph.keys()].filter((path) => layerOf(path, layers) === index);
    lines.push(`  subgraph "cluster_${index}" {`, `    label="${layer.name}";`);
    for (const path of members) lines.push(`    "${path}";`);
    lines.push("  }");
  });
  for (const [from, targets] of graph) {
    for (const to of targets) lines.push(`  "${from}" -> "${to}";`);
  }
  lines.push("}");
  return lines.join("\n");
}

async function denoInfo(entry: string, root: URL): Promise<ImportGraph> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`deno info ${entry} failed`);
  return graphFromDenoInfo(JSON.parse(new TextDecoder().decode(output.stdout)), root);
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const graph = await denoInfo("main.ts", root);
  if (Deno.args.includes("--dot")) {
    console.log(toDot(graph));
    Deno.exit(0);
  }
  const problems = [
    ...findCircles(graph).map((circle) => `circle: ${circle.join(" <-> ")}`),
    ...findUpwardImports(graph).map((edge) => `upward import: ${edge}`),
  ];
  for (const problem of problems) console.error(problem);
  console.error(
    problems.length === 0
      ? `imports: ${graph.size} modules, no circle, no upward import`
      : `imports: ${problems.length} problem(s): see the layers in docs/design.md`,
  );
  Deno.exit(problems.length === 0 ? 0 : 1);
}
