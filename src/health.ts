/** What `GET /health` and `GET /ready` answer: the server's state, whether it can search.
 * @module */

import { VERSION } from "./about.ts";
import type { Dependencies } from "./tools/deps.ts";
import { groupByReason, isoTime, timeOfDay } from "./wording.ts";

/** The body of `GET /health`, built without contacting any upstream. */
export function describeHealth(deps: Dependencies, { startedAt, now }: {
  startedAt: number;
  now: () => number;
}) {
  const statuses = deps.auth.sources.map((source) => source.tokens.status());
  const expiries = statuses.flatMap((status) => status.expiresAt?.getTime() ?? []);
  return {
    status: "ok",
    version: VERSION,
    uptime_s: Math.floor((now() - startedAt) / 1000),
    demo: deps.demo,
    regions: deps.discovery.regions.map((r) => r.name),
    // Every source must be ready for the server to be; the first expiry is the one that counts.
    auth: {
      configured: statuses.every((status) => status.configured),
      valid: statuses.every((status) => status.valid),
      expires_at: isoTime(expiries.length > 0 ? new Date(Math.min(...expiries)) : undefined),
    },
  };
}

/**
 * The body of `GET /ready`: ready when a region has a valid JWT (obtained as a search would) and
 * its circuit is not open, else one reason a line; no registry is asked, the breakers know.
 */
export async function checkReadiness(deps: Dependencies) {
  const tokenErrors = new Map<string, string>();
  await Promise.all(deps.auth.sources.map(async ({ tokens, regions }) => {
    try {
      await tokens.getToken();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      for (const name of regions) tokenErrors.set(name, message);
    }
  }));
  const regions = deps.discovery.health().map(({ name, state, openUntil, lastError }) => {
    const tokenError = tokenErrors.get(name);
    if (tokenError) return { name, ready: false, reason: `no JWT: ${tokenError}` };
    if (state === "open" && openUntil) {
      return { name, ready: false, reason: `skipped until ${timeOfDay(openUntil)}: ${lastError}` };
    }
    return { name, ready: true };
  });
  const ready = regions.some((region) => region.ready);
  // "cn, us: no JWT: CAS_SESSION is not set: ..." rather than the same sentence per region.
  const reasons = ready
    ? []
    : groupByReason(regions.flatMap(({ name, reason }) => reason ? [[name, reason] as const] : []));
  return { ready, reasons, regions };
}
