/**
 * The Deno permissions the server needs, checked up front so that a bare
 * `deno run main.ts` says which flags to add instead of failing later with a
 * `NotCapable` stack trace.
 *
 * @module
 */

import type { Config } from "./config/mod.ts";
import { ENV_VARS, REGIONAL_ENV_PREFIXES } from "./config/env.ts";

/** Answers whether a permission is granted, like `Deno.permissions.querySync`. */
export type QueryPermission = (descriptor: Deno.PermissionDescriptor) => Deno.PermissionStatus;

/** The permission flags `deno task start` and `deno task compile` give the server. */
export const PERMISSION_FLAGS = `--allow-net --allow-read --allow-env=${
  [...ENV_VARS, ...REGIONAL_ENV_PREFIXES.map((prefix) => `${prefix}*`)].join(",")
}`;

const MISSING =
  `Deno did not grant the permissions the server needs: start it with deno task start, or add ${PERMISSION_FLAGS} to deno run`;

/**
 * Returns the one-line message to print when the server's own modules at
 * `path` cannot be read: `main.ts` loads them on demand, which Deno allows
 * only with read permission. A file URL is given as it is: Deno turns it into
 * a path of the OS it runs on (`C:\...` on Windows, where its `pathname` is `/C:/...`).
 */
export function missingReadPermission(
  query: QueryPermission,
  path: string | URL,
): string | undefined {
  return query({ name: "read", path }).state === "granted" ? undefined : MISSING;
}

/**
 * Returns the one-line message to print when reading `variables` (by default
 * every fixed one the server reads) is not allowed.
 */
export function missingEnvPermission(
  query: QueryPermission,
  variables: readonly string[] = ENV_VARS,
): string | undefined {
  const denied = variables.some((variable) => query({ name: "env", variable }).state !== "granted");
  return denied ? MISSING : undefined;
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
  const denied = hosts.some((host) => query({ name: "net", host }).state !== "granted");
  return denied ? MISSING : undefined;
}

function listenHost({ host, port }: Config): string {
  const name = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return port === 0 ? name : `${name}:${port}`;
}

function hostOf(href: string): string {
  return new URL(href).host;
}
