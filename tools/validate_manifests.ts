/**
 * Checks the Kubernetes manifests in deploy/kubernetes/: each object against
 * the Kubernetes API schemas (`kubernetes-models`' `validate()`), then what
 * the schemas cannot see: the server would start with the Deployment's
 * arguments, environment and ConfigMap, the probes hit `/ready` and `/health`,
 * the grace period outlasts the drain and the shutdown, and the Service, the
 * PodDisruptionBudget and the autoscaler point at the Deployment.
 *
 *   deno task manifests
 *
 * With `--stdin`, checks the manifests sent on stdin instead (see `files.ts`).
 *
 * The schemas accept unknown fields, as the API server does without strict
 * validation; the checks of this module are what catch a misspelled field
 * that matters here.
 *
 * @module
 */

// Tools of this script only, locked in tools/tools.lock: deno.json's import map and deno.lock
// hold only what the server itself runs.
import { parseAllDocuments } from "npm:yaml@2.9.1";
import {
  ConfigMap,
  type IContainer,
  type IPodSpec,
  type IVolume,
  Service,
} from "npm:kubernetes-models@4.5.1/v1";
import { Deployment } from "npm:kubernetes-models@4.5.1/apps/v1";
import { PodDisruptionBudget } from "npm:kubernetes-models@4.5.1/policy/v1";
import { HorizontalPodAutoscaler } from "npm:kubernetes-models@4.5.1/autoscaling/v2";
import { type Env, parseCommand } from "../src/config/mod.ts";
import { ENV_VARS, REGIONAL_ENV_PREFIXES } from "../src/permissions.ts";
import { filesToCheck, type NamedText } from "./files.ts";

// The folder of the manifests, from the repository's root.
const MANIFESTS_DIR = "deploy/kubernetes";

// What the server may take to stop once the drain is over: the calls' deadline, the last
// connections and the log flush of src/cli.ts (5 + 1 + 1 s).
const SHUTDOWN_SECONDS = 7;

/** A Kubernetes object as parsed from YAML. */
type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
};

/** The model classes of the kinds the deployment uses, by `apiVersion/kind`. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
};

/** Returns every problem found in `files`, each a sentence naming its file; none when valid. */
export function validateManifests(files: readonly NamedText[]): string[] {
  const problems: string[] = [];
  const objects: Found<KubeObject>[] = [];
  for (const { name, text } of files) {
    for (const document of parseAllDocuments(text)) {
      if (document.errors.length > 0) {
        problems.push(`${name}: not valid YAML: ${document.errors[0]?.message}`);
        continue;
      }
      const object = document.toJS() as KubeObject | null;
      if (object === null) continue;
      const problem = schemaProblem(object);
      if (problem) problems.push(`${name}: ${describe(object)} ${problem}`);
      objects.push({ file: name, object });
    }
  }
  if (problems.length > 0) return problems;
  return deploymentProblems(objects);
}

function describe(object: KubeObject): string {
  return `${object.kind ?? "an object without kind"} ${object.metadata?.name ?? ""}`.trim();
}

function schemaProblem(object: KubeObject): string | undefined {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) {
    return `is not one of the kinds deployed here (${Object.keys(MODELS).join(", ")})`;
  }
  try {
    new Model(object as never).validate();
    return undefined;
  } catch (error) {
    return `does not match the Kubernetes schema: ${
      error instanceof Error ? error.message : error
    }`;
  }
}

type Found<T> = { file: string; object: T };

function deploymentProblems(objects: Found<KubeObject>[]): string[] {
  const of = <T>(kind: string) =>
    objects.filter(({ object }) => object.kind === kind) as Found<T>[];
  const [only, ...others] = of<Deployment>("Deployment");
  if (!only || others.length > 0) return [`${MANIFESTS_DIR}: expected one Deployment`];
  const { file, object: deployment } = only;
  const pod = deployment.spec!.template.spec!;
  const [container] = pod.containers;
  if (!container) return [`${file}: the Deployment's pod has no container`];
  const configMaps = of<ConfigMap>("ConfigMap").map(({ object }) => object);
  return [
    ...startProblems(container, pod.volumes ?? [], configMaps).map((p) => `${file}: ${p}`),
    ...podProblems(pod).map((p) => `${file}: ${p}`),
    ...referenceProblems(deployment, {
      services: of<Service>("Service"),
      budgets: of<PodDisruptionBudget>("PodDisruptionBudget"),
      autoscalers: of<HorizontalPodAutoscaler>("HorizontalPodAutoscaler"),
    }),
  ];
}

// What a rolling restart without lost calls, and the cluster's policies, need of the pod.
function podProblems(pod: IPodSpec): string[] {
  const problems: string[] = [];
  const [container] = pod.containers;
  if (!container) return []; // deploymentProblems reports it
  const args = container.args ?? [];
  const drainAt = args.indexOf("--drain-delay");
  const drainSeconds = drainAt >= 0 ? Number(args[drainAt + 1]) : 0;
  if (!args.includes("--stateless")) problems.push("the replicas need --stateless");
  if (!(drainSeconds > 0)) problems.push("give --drain-delay SECONDS");
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (grace <= drainSeconds + SHUTDOWN_SECONDS) {
    problems.push(
      `terminationGracePeriodSeconds ${grace} must exceed the drain (${drainSeconds} s) plus the shutdown (${SHUTDOWN_SECONDS} s)`,
    );
  }
  if (container.readinessProbe?.httpGet?.path !== "/ready") {
    problems.push("the readinessProbe must GET /ready");
  }
  if (container.livenessProbe?.httpGet?.path !== "/health") {
    problems.push("the livenessProbe must GET /health");
  }
  if (!pod.securityContext?.runAsNonRoot || !container.securityContext?.readOnlyRootFilesystem) {
    problems.push("run as non-root with a read-only root filesystem");
  }
  if (!container.resources?.requests?.cpu || !container.resources?.limits?.memory) {
    problems.push("give a CPU request (the autoscaler needs it) and a memory limit");
  }
  return problems;
}

// The Service, the PodDisruptionBudget and the autoscaler must reach the Deployment's pods.
function referenceProblems(
  deployment: Deployment,
  { services, budgets, autoscalers }: {
    services: Found<Service>[];
    budgets: Found<PodDisruptionBudget>[];
    autoscalers: Found<HorizontalPodAutoscaler>[];
  },
): string[] {
  const problems: string[] = [];
  const labels = deployment.spec!.template.metadata?.labels ?? {};
  const portNames = (deployment.spec!.template.spec!.containers[0]?.ports ?? []).map((p) => p.name);
  const selects = (selector: Record<string, string> | undefined) =>
    selector !== undefined && Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([key, value]) => labels[key] === value);
  for (const { file, object } of services) {
    if (!selects(object.spec?.selector)) problems.push(`${file}: the selector misses the pods`);
    for (const port of object.spec?.ports ?? []) {
      if (!portNames.includes(String(port.targetPort))) {
        problems.push(`${file}: targetPort ${port.targetPort} is not a port of the container`);
      }
    }
  }
  for (const { file, object } of budgets) {
    if (!selects(object.spec?.selector?.matchLabels)) {
      problems.push(`${file}: the selector misses the pods`);
    }
  }
  for (const { file, object } of autoscalers) {
    const target = object.spec!.scaleTargetRef;
    if (target.kind !== "Deployment" || target.name !== deployment.metadata?.name) {
      problems.push(`${file}: scaleTargetRef must name the Deployment`);
    }
  }
  return problems;
}

// Starts nothing: parses the container's arguments and environment as the server would, with
// the config file read from the ConfigMap mounted where MCP_CONFIG or --config points.
function startProblems(
  container: IContainer,
  volumes: readonly IVolume[],
  configMaps: ConfigMap[],
): string[] {
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const reference = variable.valueFrom?.secretKeyRef;
    if (reference && reference.key !== variable.name) {
      return [`env ${variable.name} reads key ${reference.key}: name the Secret's key after it`];
    }
    // A Secret's value is unknown here: a stand-in of the right shape.
    env[variable.name] = variable.value ?? (reference ? "secret-from-the-cluster" : "");
  }
  const files = new Map<string, string>();
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.find((v) => v.name === mount.name);
    const data = configMaps.find((c) => c.metadata?.name === volume?.configMap?.name)?.data;
    for (const [key, text] of Object.entries(data ?? {})) {
      files.set(`${mount.mountPath}/${key}`, text);
    }
  }
  const readFile = (path: string) => {
    const text = files.get(path);
    if (text === undefined) {
      throw new Deno.errors.NotFound(`No ConfigMap key is mounted at ${path}`);
    }
    return text;
  };
  const unknown = Object.keys(env).filter((name) => !isServerVariable(name));
  if (unknown.length > 0) {
    return [`env ${unknown.join(", ")}: the server reads no such variable (see --help)`];
  }
  try {
    parseCommand(container.args ?? [], env as Env, { readFile });
    return [];
  } catch (error) {
    return [`the server would not start: ${error instanceof Error ? error.message : error}`];
  }
}

function isServerVariable(name: string): boolean {
  return (ENV_VARS as readonly string[]).includes(name) ||
    REGIONAL_ENV_PREFIXES.some((prefix) => name.startsWith(prefix) && name.length > prefix.length);
}

async function main(args: readonly string[]): Promise<number> {
  const files = await filesToCheck(new URL(`../${MANIFESTS_DIR}/`, import.meta.url), args);
  const problems = validateManifests(files);
  for (const problem of problems) console.error(problem);
  console.log(
    problems.length === 0
      ? `${files.length} manifests in ${MANIFESTS_DIR} are valid`
      : `${problems.length} problems in ${MANIFESTS_DIR}`,
  );
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
