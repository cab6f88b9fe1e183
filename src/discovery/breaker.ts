/** A circuit breaker per region, for the process (when it opens and probes: docs/design.md).
 * @module */

import { timeOfDay } from "../wording.ts";
import { AuthError } from "../auth.ts";
import {
  RegionError,
  type RegionFailureKind,
  type RegionOutcome,
  type RegionSearchWrapper,
} from "./types.ts";

export interface RegionHealth {
  readonly name: string;
  /** `half_open`: the wait is over and the next search (or the one in flight) probes the region. */
  readonly state: "closed" | "open" | "half_open";
  readonly openUntil?: Date;
  readonly lastOutcome?: "ok" | RegionFailureKind;
  readonly lastError?: string;
  /** Retry included. */
  readonly lastLatencyMs?: number;
  readonly lastCheckedAt?: Date;
}

/** The circuits of every region; create one per process so that state lasts across calls. */
export type CircuitBreaker = ReturnType<typeof createCircuitBreaker>;

interface Circuit {
  failures: number;
  openUntil?: number;
  probing: boolean;
  lastFailure?: RegionError;
  last?: Pick<RegionHealth, "lastOutcome" | "lastError" | "lastLatencyMs" | "lastCheckedAt">;
}

const THRESHOLD = 5;
const OPEN_MS = 30_000;

export function createCircuitBreaker({ now }: { now: () => number }) {
  const circuits = new Map<string, Circuit>();

  function record(circuit: Circuit, outcome: RegionOutcome, started: number) {
    const at = now();
    const error = outcome.ok ? undefined : outcome.error;
    circuit.last = {
      lastOutcome: error?.kind ?? "ok",
      lastError: error?.message,
      lastLatencyMs: at - started,
      lastCheckedAt: new Date(at),
    };
    const verdict = judge(outcome);
    if (verdict === "neutral") return;
    if (verdict === "answered") {
      Object.assign(circuit, { failures: 0, openUntil: undefined, lastFailure: undefined });
      return;
    }
    circuit.failures++;
    circuit.lastFailure = error;
    const opens = verdict === "refused" || circuit.failures >= THRESHOLD;
    const alreadyOpen = circuit.openUntil !== undefined && at < circuit.openUntil;
    if (opens && !alreadyOpen) circuit.openUntil = at + OPEN_MS;
  }

  function skip(name: string, circuit: Circuit): RegionOutcome {
    const last = circuit.lastFailure!;
    const why = circuit.failures >= THRESHOLD
      ? `failed ${circuit.failures} times in a row (last: ${last.message})`
      : last.message;
    const retryAt = now() < circuit.openUntil! ? new Date(circuit.openUntil!) : undefined;
    const until = retryAt ? `until ${timeOfDay(retryAt)}` : "while another search tries it again";
    const options = { kind: last.kind, status: last.status, skipped: true, retryAt, cause: last };
    return { region: name, ok: false, error: new RegionError(`skipped ${until}: ${why}`, options) };
  }

  return {
    async guard(name: string, search: () => Promise<RegionOutcome>): Promise<RegionOutcome> {
      let circuit = circuits.get(name);
      if (!circuit) circuits.set(name, circuit = { failures: 0, probing: false });
      const probe = circuit.openUntil !== undefined;
      if (probe && (now() < circuit.openUntil! || circuit.probing)) return skip(name, circuit);
      if (probe) circuit.probing = true;
      const started = now();
      try {
        const outcome = await search();
        record(circuit, outcome, started);
        return outcome;
      } finally {
        // A cancelled probe proves nothing: the next search probes instead.
        if (probe) circuit.probing = false;
      }
    },
    health(name: string): RegionHealth {
      const circuit = circuits.get(name);
      if (!circuit) return { name, state: "closed" };
      const { openUntil, last } = circuit;
      const state = openUntil === undefined ? "closed" : now() < openUntil ? "open" : "half_open";
      const until = openUntil === undefined ? undefined : new Date(openUntil);
      return { name, state, openUntil: until, ...last };
    },
  };
}

export function withBreaker(breaker: CircuitBreaker): RegionSearchWrapper {
  return (next) => (region, keyword, options) =>
    breaker.guard(region.name, () => next(region, keyword, options));
}

// "answered" covers the region's own errors (HTTP 4xx, error_code); "refused" opens at once.
function judge(outcome: RegionOutcome): "answered" | "failed" | "refused" | "neutral" {
  if (outcome.ok) return "answered";
  const { kind, status = 0, cause } = outcome.error;
  if (kind === "timeout" || kind === "network") return "failed";
  if (kind === "http_status") return status >= 500 ? "failed" : "answered";
  // No token to send (the token provider failed) says nothing about the region.
  if (kind === "auth") return cause instanceof AuthError ? "neutral" : "refused";
  return kind === "internal" ? "neutral" : "answered";
}
