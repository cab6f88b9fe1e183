/**
 * `deno task manifests` (tools/validate_manifests.ts) passes the shipped
 * manifests and fails on each typo that matters; each run is the task's own
 * command, under the dev tools' config and lock, given the files on stdin.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { NamedText as ManifestFile } from "../tools/files.ts";
import { runToolTask, type ToolRun } from "./dev_tools.ts";

const ROOT = new URL("../", import.meta.url);
const MANIFESTS_DIR = "deploy/kubernetes";

function validateManifests(files: readonly ManifestFile[]): Promise<ToolRun> {
  return runToolTask("manifests", { args: ["--stdin"], stdin: JSON.stringify(files) });
}

function shipped(): ManifestFile[] {
  return [...Deno.readDirSync(new URL(`${MANIFESTS_DIR}/`, ROOT))]
    .filter((entry) => entry.name.endsWith(".yaml"))
    .map(({ name }) => ({
      name,
      text: Deno.readTextFileSync(new URL(`${MANIFESTS_DIR}/${name}`, ROOT)),
    }));
}

// The shipped manifests with `from` replaced by `to` in `file`; the replacement must happen.
function withTypo(file: string, from: string | RegExp, to: string): ManifestFile[] {
  return shipped().map((manifest) => {
    if (manifest.name !== file) return manifest;
    const text = manifest.text.replace(from, to);
    assert.notEqual(text, manifest.text, `${from} is not in ${file}`);
    return { name: file, text };
  });
}

Deno.test("the Kubernetes manifests validate: schemas, the server's options, probes, selectors", async () => {
  const files = shipped();
  assert.deepEqual(files.map((f) => f.name).sort(), [
    "configmap.yaml",
    "deployment.yaml",
    "horizontalpodautoscaler.yaml",
    "poddisruptionbudget.yaml",
    "service.yaml",
  ]);
  const run = await validateManifests(files);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^5 manifests in deploy\/kubernetes are valid$/m);
});

const TYPOS: [what: string, file: string, from: string | RegExp, to: string, problem: RegExp][] = [
  [
    "a string where the schema wants a number",
    "deployment.yaml",
    "replicas: 3",
    "replicas: three",
    /Deployment byted-live-promotion does not match the Kubernetes schema/,
  ],
  ["a misspelled kind", "service.yaml", "kind: Service", "kind: Servce", /is not one of the kinds/],
  [
    "a misspelled flag",
    "deployment.yaml",
    "- --stateless",
    "- --stateles",
    /would not start: Unknown option --stateles/,
  ],
  [
    "a misspelled variable",
    "deployment.yaml",
    "- name: MCP_AUTH_TOKEN",
    "- name: MCP_AUTH_TOKNE",
    /env MCP_AUTH_TOKNE/,
  ],
  [
    "a bad config file",
    "configmap.yaml",
    '"cache_ttl": 60',
    '"cache_tll": 60',
    /would not start: [^]*cache_tll/,
  ],
  [
    "a misspelled probe",
    "deployment.yaml",
    "readinessProbe:",
    "readinesProbe:",
    /readinessProbe must GET \/ready/,
  ],
  [
    "a grace period shorter than drain and shutdown",
    "deployment.yaml",
    "terminationGracePeriodSeconds: 30",
    "terminationGracePeriodSeconds: 15",
    /must exceed the drain \(10 s\)/,
  ],
  [
    "a Service that selects no pod",
    "service.yaml",
    /selector:\n(\s+)app.kubernetes.io\/name: byted-live-promotion/,
    "selector:\n$1app.kubernetes.io/name: byted-live-promotin",
    /service.yaml: the selector misses the pods/,
  ],
  [
    "an autoscaler aimed elsewhere",
    "horizontalpodautoscaler.yaml",
    "    name: byted-live-promotion\n  minReplicas",
    "    name: byted-live\n  minReplicas",
    /scaleTargetRef/,
  ],
];

for (const [what, file, from, to, problem] of TYPOS) {
  Deno.test(`manifest validation fails on ${what}`, async () => {
    const run = await validateManifests(withTypo(file, from, to));
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, problem);
  });
}

Deno.test("manifest validation refuses stdin that is not a list of files, saying what to send", async () => {
  for (
    const [stdin, message] of [
      ["deployment.yaml", /Stdin is not JSON: send an array of \{name, text\}/],
      ['[{"name": "service.yaml"}]', /Stdin is not an array of \{name, text\}: send one object/],
    ] as const
  ) {
    const run = await runToolTask("manifests", { args: ["--stdin"], stdin });
    assert.notEqual(run.code, 0, stdin);
    assert.match(run.stderr, message);
  }
});

Deno.test("docs/deploy.md applies every manifest, the ConfigMap before the Deployment", () => {
  const guide = Deno.readTextFileSync(new URL("docs/deploy.md", ROOT));
  const applied = [...guide.matchAll(/kubectl -n \S+ apply -f deploy\/kubernetes\/(\S+\.yaml)/g)]
    .map((match) => match[1]);
  assert.deepEqual([...applied].sort(), shipped().map((f) => f.name).sort());
  assert.ok(applied.indexOf("configmap.yaml") < applied.indexOf("deployment.yaml"));
  assert.match(
    guide,
    /claude mcp add --transport http \S+ https:\/\/\S+\/mcp --header "Authorization: Bearer \$TOKEN"/,
  );
  assert.match(guide, /deno task manifests/);
});
