/**
 * The Deno permissions the server needs, checked up front so that a bare
 * `deno run main.ts` says which flags to add instead of failing later with a
 * `NotCapable` stack trace.
 *
 * @module
 */

import type { Config } from "./config/mod.ts";
import { ENV_VARS, PERMISSION_FLAGS, REGIONAL_ENV_PREFIXES } from "./permission_flags.ts";
import { urlHost } from "./net.ts";

/** Answers whether a permission is granted, like `Deno.permissions.querySync`. */
export type QueryPermission = (descriptor: Deno.PermissionDescriptor) => Deno.PermissionStatus;

const START = "start it with deno task start";

const MISSING = `Deno did not grant the permissions the server needs: ${START}, or add ${
  PERMISSION_FLAGS.join(" ")
} to deno run`;

function withRegionalSiblings(variable: string): string[] {
  const prefix = REGIONAL_ENV_PREFIXES.find((p) => variable.startsWith(p));
  if (!prefix) return [variable];
  const region = variable.slice(prefix.length);
  return REGIONAL_ENV_PREFIXES.map((p) => `${p}${region}`);
}

// The flag to add for `variable`: a regional one (CAS_SESSION_cn) is covered by its prefix's
// wildcard, as deno task start gives it.
function envFlagFor(variable: string): string {
  const prefix = REGIONAL_ENV_PREFIXES.find((p) => variable.startsWith(p));
  return prefix ? `${prefix}*` : variable;
}

/**
 * Returns the one-line message to print when reading `variables` (by default
 * every fixed one the server reads) is not allowed: the flags of `deno task
 * start` when none is, else the variables missing from `--allow-env`.
 */
export function missingEnvPermission(
  query: QueryPermission,
  variables: readonly string[] = ENV_VARS,
): string | undefined {
  // A regional variable stands for every prefix of its region: one line names all to add.
  const asked = [...new Set(variables.flatMap(withRegionalSiblings))];
  const denied = asked.filter((variable) => query({ name: "env", variable }).state !== "granted");
  if (denied.length === 0) return undefined;
  if (denied.length === asked.length && variables.length > 1) return MISSING;
  const flags = [...new Set(denied.map(envFlagFor))];
  return `Deno did not grant access to ${
    flags.length === 1 ? "the environment variable" : "the environment variables"
  } ${flags.join(", ")}: add ${flags.join(",")} to --allow-env, or ${START}`;
}

/**
 * Returns the one-line message to print when `config` needs a host that the
 * net permission does not cover: the address it listens on, and the auth and
 * region hosts unless in demo mode (which answers them in-process).
 */
export function missingNetPermission(config: Config, query: QueryPermission): string | undefined {
  const hosts = [
    ...(config.transport === "http" ? [listenHost(config)] : []),
    ...(config.demo ? [] : config.regions.flatMap((r) => [r.authUrl, r.baseUrl]).map(hostOf)),
  ];
  const denied = hosts.filter((host) => query({ name: "net", host }).state !== "granted");
  if (denied.length === 0) return undefined;
  return `Deno did not grant network access to ${
    [...new Set(denied)].join(", ")
  }: add it to --allow-net (or give --allow-net alone), or ${START}`;
}

function listenHost({ host, port }: Config): string {
  const name = urlHost(host);
  return port === 0 ? name : `${name}:${port}`;
}

function hostOf(href: string): string {
  return new URL(href).host;
}
