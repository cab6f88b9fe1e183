/**
 * Regions as `--region NAME=URL` and `NEPTUNE_REGIONS` give them: a name
 * that becomes part of variable names, and a registry URL.
 *
 * @module
 */

import type { Credential } from "../auth.ts";
import type { SharedCredentialVariable } from "./credentials.ts";
import { ConfigError, parseHttpUrl } from "./values.ts";

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

/** What a region's name may look like: it becomes part of variable names (`CAS_SESSION_cn`). */
export const REGION_NAME_PATTERN = /^[A-Za-z0-9][\w-]*$/;

/** Parses `NAME=URL` entries, each a region; `source` names the flag or variable in errors. */
export function parseRegions(entries: readonly string[], source: string): Region[] {
  const regions: Region[] = [];
  for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
    const region = parseRegion(entry, source);
    if (regions.some((r) => r.name === region.name)) {
      throw new ConfigError(`Invalid ${source}: region "${region.name}" is given twice`);
    }
    regions.push(region);
  }
  if (regions.length === 0) {
    throw new ConfigError(`Invalid ${source}: give at least one region as NAME=URL`);
  }
  return regions;
}

function parseRegion(entry: string, source: string): Region {
  const separator = entry.indexOf("=");
  const name = entry.slice(0, separator).trim();
  if (separator < 1 || !REGION_NAME_PATTERN.test(name)) {
    throw new ConfigError(
      `Invalid ${source} "${entry}": expected NAME=URL such as cn=https://ms-neptune.byted.org`,
    );
  }
  const baseUrl = parseHttpUrl(entry.slice(separator + 1), {
    source: `${source} ${name}`,
    example: "https://ms-neptune.byted.org",
  });
  return { name, baseUrl: baseUrl.replace(/\/+$/, "") };
}
