/**
 * Regions: the config file's list of objects, or `NAME=URL` entries from
 * `--region` and `NEPTUNE_REGIONS`, checked by one schema.
 *
 * @module
 */

import { z } from "zod";
import {
  type Credential,
  SHARED_CREDENTIAL_VARIABLES,
  type SharedCredentialVariable,
} from "./credentials.ts";
import { ConfigError, DEFAULT_AUTH_URL, httpUrl, QUIET } from "./values.ts";

/** One Neptune registry that searches are sent to. */
export interface Region {
  /** Short name shown to users, such as `cn`. */
  readonly name: string;
  /** Base URL without a trailing slash, such as `https://ms-neptune.byted.org`. */
  readonly baseUrl: string;
}

/** A region with where its tokens come from. */
export interface RegionConfig extends Region {
  /** The JWT endpoint this region's tokens come from. */
  readonly authUrl: string;
  /** Absent when none of the region's variables is set: the region is then skipped. */
  readonly credential?: Credential;
  /**
   * The shared variable that is set but not sent to this region, because its
   * auth URL is on another site than the default one; absent otherwise.
   */
  readonly withheld?: SharedCredentialVariable;
}

const REGISTRY_EXAMPLE = "https://ms-neptune.byted.org";

const region = z.strictObject({
  // The name becomes part of variable names (`CAS_SESSION_cn`).
  name: z.string().regex(
    /^[A-Za-z0-9][\w-]*$/,
    "expected letters, digits, _ or -, starting with a letter or digit",
  ),
  base_url: httpUrl(REGISTRY_EXAMPLE).transform((href) => href.replace(/\/+$/, "")),
  auth_url: httpUrl(DEFAULT_AUTH_URL).optional(),
  // The name of a variable, never a value: lets a region on another site use the shared one.
  credential: z.enum(SHARED_CREDENTIAL_VARIABLES, {
    error:
      "expected the name CAS_SESSION or SERVICE_ACCOUNT_SECRET (the value stays in the environment)",
  }).optional(),
});

/** A list of regions with unique names, at least one. */
export const regions = z.array(region).min(1, "give at least one region").superRefine(
  (list, context) => {
    list.forEach(({ name }, index) => {
      if (list.findIndex((r) => r.name === name) === index) return;
      context.addIssue({
        code: "custom",
        path: [index, "name"],
        message: `region "${name}" is given twice`,
        params: QUIET,
      });
    });
  },
);

/**
 * Splits `NAME=URL` entries (repeated flags, or one comma-separated
 * variable) into the config file's region objects, for {@linkcode regions} to check.
 *
 * @throws {ConfigError} naming `source` when an entry is not `NAME=URL` or there is none.
 */
export function regionsText(raw: string | readonly string[], source: string): unknown {
  const entries = (typeof raw === "string" ? raw.split(",") : raw).map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) {
    throw new ConfigError(`Invalid ${source}: give at least one region as NAME=URL`);
  }
  return entries.map((entry) => {
    const separator = entry.indexOf("=");
    if (separator < 1) {
      throw new ConfigError(
        `Invalid ${source} "${entry}": expected NAME=URL such as cn=${REGISTRY_EXAMPLE}`,
      );
    }
    return { name: entry.slice(0, separator).trim(), base_url: entry.slice(separator + 1) };
  });
}
