/** The innermost layer: one GET to the registry with the JWT, again with a fresh JWT if refused.
 * @module */

import { AuthError, type TokenProvider } from "../auth.ts";
import type { Region } from "../config/mod.ts";
import { isRecord, parseJson } from "../json.ts";
import type { Logger } from "../log.ts";
import { mostRelevant } from "./ranking.ts";
import { redact } from "../secret.ts";
import { cut } from "../text.ts";
import { type Fetch, isRedirect, requestUpstream, UpstreamRequestError } from "../upstream.ts";
import { RegionError, type RegionFailureKind, type RegionSearch, type Service } from "./types.ts";

const SEARCH_PATH = "api/neptune/ms/service/search";
const MAX_UPSTREAM_MESSAGE = 200;
// An error code is a number or a short name; anything longer is cut, never sent whole.
const MAX_ERROR_CODE = 32;

export interface RegionSearchDeps {
  tokenFor: (region: Region) => TokenProvider;
  fetch: Fetch;
  timeoutMs: number;
  logger: Logger;
}

/** Returns the {@linkcode RegionSearch} that asks the registry itself. */
export function createRegionSearch(deps: RegionSearchDeps): RegionSearch {
  const { tokenFor, fetch, timeoutMs, logger } = deps;
  // By region name, the JWT the region refused even when freshly issued: it gets no retry, as such
  // a refusal is about the region, not the token (other regions may accept it).
  const refused = new Map<string, string>();

  async function query(region: Region, keyword: string, token: string, signal?: AbortSignal) {
    const params = new URLSearchParams({ keyword, search_type: "all" });
    const url = new URL(`${SEARCH_PATH}?${params}`, `${region.baseUrl}/`);
    const started = performance.now();
    const answer = await requestUpstream(fetch, url.href, {
      headers: { "x-jwt-token": token, Accept: "application/json" },
      timeoutMs,
      signal,
    });
    const ms = Math.round(performance.now() - started);
    const fields = { region: region.name, status: answer.status, keyword, ms };
    logger.debug("Region {region} answered HTTP {status} for {keyword} in {ms} ms", fields);
    if (isRedirect(answer.status)) {
      // Only the target's origin is named: its path and query may carry tokens.
      const location = answer.headers.get("location");
      const target = location ? URL.parse(location, url)?.origin : undefined;
      const where = target && target !== "null"
        ? `to ${cut(target, MAX_UPSTREAM_MESSAGE)}`
        : "elsewhere";
      throw new RegionError(`redirected ${where}: check the region's URL`, { kind: "redirect" });
    }
    return parseSearchAnswer(answer, { keyword, token });
  }

  return async (region, keyword, { signal } = {}) => {
    const tokens = tokenFor(region);
    try {
      let token = await tokens.getToken({ signal });
      let answer = await query(region, keyword, token, signal);
      if (answer === "auth_rejected" && refused.get(region.name) !== token) {
        tokens.invalidate(token);
        token = await tokens.getToken({ signal });
        answer = await query(region, keyword, token, signal);
      }
      if (answer === "auth_rejected") {
        refused.set(region.name, token);
        throw new RegionError(
          "rejected a freshly issued JWT: your account may have no access to this registry",
          { kind: "auth" },
        );
      }
      refused.delete(region.name);
      return { region: region.name, ok: true, ...answer };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      return { region: region.name, ok: false, error: toRegionError(region, error, deps) };
    }
  };
}

/**
 * Throws a {@linkcode RegionError} for a failure. Only the services most relevant to `keyword`
 * become objects, however long the answer; `token` is scrubbed from upstream text echoing it.
 */
export function parseSearchAnswer(
  answer: { status: number; text: string },
  { keyword, token }: { keyword: string; token?: string },
): { services: Service[]; matches: number } | "auth_rejected" {
  const { status } = answer;
  const body = parseJson(answer.text);
  const errorCode = isRecord(body) ? Number(body.error_code ?? 0) : 0;
  if (status === 401 || errorCode === 401) return "auth_rejected";
  const detail = isRecord(body) ? describeUpstreamError(body, token) : "";
  const fail = (kind: RegionFailureKind, message: string) =>
    new RegionError(message, { kind, status });
  if (status < 200 || status >= 300) throw fail("http_status", `answered HTTP ${status}${detail}`);
  if (!isRecord(body)) throw fail("invalid_body", "answered with a body that is not a JSON object");
  if (errorCode !== 0) {
    throw fail("upstream_error", `answered ${describeErrorCode(body.error_code)}${detail}`);
  }
  if (body.data === undefined || body.data === null) return { services: [], matches: 0 };
  if (!Array.isArray(body.data)) {
    throw fail("invalid_body", "answered with a data field that is not a list");
  }
  const records = body.data.filter(isRecord);
  const { kept, matches } = mostRelevant(keyword, records, (raw) => optionalText(raw.psm));
  return { services: kept.map(parseService), matches };
}

function describeErrorCode(code: unknown): string {
  if (typeof code === "number" && Number.isFinite(code)) return `error_code ${code}`;
  if (typeof code === "string") return `error_code ${cut(code.trim(), MAX_ERROR_CODE)}`;
  return "an error_code that is not a number";
}

function describeUpstreamError(body: Record<string, unknown>, token?: string): string {
  const parts = [body.error_type, body.error_message]
    .filter((part): part is string => typeof part === "string" && part.trim() !== "")
    .map((part) => part.trim());
  if (parts.length === 0) return "";
  const message = redact(parts.join(": "), token ? [token] : []);
  return ` (${cut(message, MAX_UPSTREAM_MESSAGE)})`;
}

function parseService(raw: Record<string, unknown>): Service {
  return {
    psm: optionalText(raw.psm)!,
    description: optionalText(raw.description),
    chineseName: optionalText(raw.service_chinese_name),
    owners: parseOwners(raw.owners),
    framework: optionalText(raw.framework),
    type: optionalText(raw.type),
    deploymentPlatform: optionalText(raw.deployment_platform),
    level: optionalText(raw.level),
    updatedAt: optionalText(raw.updated_at),
  };
}

function parseOwners(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : [];
  return list.flatMap((owner) => optionalText(owner) ?? []);
}

function optionalText(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function toRegionError(region: Region, error: unknown, deps: RegionSearchDeps): RegionError {
  if (error instanceof RegionError) return error;
  const fail = (kind: RegionFailureKind, message: string) =>
    new RegionError(message, { kind, cause: error });
  if (error instanceof UpstreamRequestError) {
    if (error.kind === "timeout") {
      return fail("timeout", `did not answer within ${deps.timeoutMs} ms`);
    }
    if (error.kind === "network") return fail("network", `could not be reached: ${error.message}`);
    return fail("invalid_body", `answered too much: ${error.message}`);
  }
  if (error instanceof AuthError) return fail("auth", error.message);
  // A bug here, not a fault of the region: it must not count against the region's health.
  deps.logger.debug("Searching region {region} failed unexpectedly: {stack}", {
    region: region.name,
    stack: error instanceof Error ? error.stack ?? error.message : String(error),
  });
  return fail(
    "internal",
    "failed unexpectedly: try again, and report it if it persists (details in the log at DEBUG)",
  );
}
