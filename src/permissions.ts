/** Permissions checked up front: a bare `deno run main.ts` names the flags to add, not NotCapable.
 * @module */

import denoConfig from "../deno.json" with { type: "json" };
import type { Config } from "./config/mod.ts";
import { urlHost } from "./net.ts";

export function permissionFlagsOf(command: string): string[] {
  return command.split(/\s+/).filter((word) => word.startsWith("--allow-"));
}

/** The flags of `deno task start`, read from `deno.json`, the one place they are written. */
export const PERMISSION_FLAGS: readonly string[] = permissionFlagsOf(
  denoConfig.tasks.start.command,
);

/** The variables `--allow-env` names; `CAS_SESSION_*` allows every name it starts. */
export const ALLOWED_ENV: readonly string[] = PERMISSION_FLAGS
  .flatMap((flag) => flag.startsWith("--allow-env=") ? flag.slice(12).split(",") : []);

/** The fixed variables; the proxy and CA ones are read only for `doctor` to report. */
export const ENV_VARS: readonly string[] = ALLOWED_ENV.filter((name) => !name.endsWith("*"));

/** Prefixes of the variables named after a region, such as `CAS_SESSION_`. */
export const REGIONAL_ENV_PREFIXES: readonly string[] = ALLOWED_ENV
  .filter((name) => name.endsWith("*")).map((name) => name.slice(0, -1));

/** Answers whether a permission is granted, like `Deno.permissions.querySync`. */
export type QueryPermission = (descriptor: Deno.PermissionDescriptor) => Deno.PermissionStatus;

const START = "start it with deno task start";

function regionalPrefix(variable: string): string | undefined {
  return REGIONAL_ENV_PREFIXES.find((prefix) => variable.startsWith(prefix));
}

/** Returns what to print when `variables` may not be read: the flags to add to `deno run`. */
export function missingEnvPermission(
  query: QueryPermission,
  variables: readonly string[] = ENV_VARS,
): string | undefined {
  // CAS_SESSION_cn stands for every prefix of its region, allowed as a wildcard like deno task start.
  const asked = [
    ...new Set(variables.flatMap((variable) => {
      const prefix = regionalPrefix(variable);
      const region = variable.slice(prefix?.length);
      return prefix ? REGIONAL_ENV_PREFIXES.map((p) => `${p}${region}`) : [variable];
    })),
  ];
  const denied = asked.filter((variable) => query({ name: "env", variable }).state !== "granted");
  if (denied.length === 0) return undefined;
  if (denied.length === asked.length && variables.length > 1) {
    return `Deno did not grant the permissions the server needs: ${START}, or add ${
      PERMISSION_FLAGS.join(" ")
    } to deno run`;
  }
  const flags = [...new Set(denied.map((v) => regionalPrefix(v) ? `${regionalPrefix(v)}*` : v))];
  return `Deno did not grant access to ${
    flags.length === 1 ? "the environment variable" : "the environment variables"
  } ${flags.join(", ")}: add ${flags.join(",")} to --allow-env, or ${START}`;
}

/** Returns what to print when the address to listen on or an upstream host is not allowed. */
export function missingNetPermission(config: Config, query: QueryPermission): string | undefined {
  const listen = `${urlHost(config.host)}${config.port ? `:${config.port}` : ""}`;
  const hosts = [
    ...(config.transport === "http" ? [listen] : []),
    ...(config.demo ? [] : config.regions.flatMap((r) => [r.authUrl, r.baseUrl])
      .map((href) => new URL(href).host)),
  ];
  const denied = hosts.filter((host) => query({ name: "net", host }).state !== "granted");
  if (denied.length === 0) return undefined;
  return `Deno did not grant network access to ${
    [...new Set(denied)].join(", ")
  }: add it to --allow-net (or give --allow-net alone), or ${START}`;
}
