/**
 * A circuit breaker per region, shared by every search of the process: after
 * 5 failures in a row (timeout, network error, HTTP 5xx) a region is skipped
 * for 30 s, at once when it refuses even a freshly issued JWT. Then one search
 * probes it (half-open) while the others still skip it; an answer closes the
 * circuit, a failure opens it again.
 *
 * Every request counts, also those of one batch that were in flight together:
 * at the default batch concurrency of 8, a region that stopped answering costs
 * one round of timeouts (at most 8 requests) before the rest of the batch skips it.
 * Requests in flight when the circuit opens are left to finish.
 *
 * @module
 */

import { timeOfDay } from "../wording.ts";
import { AuthError } from "../auth.ts";
import {
  RegionError,
  type RegionFailureKind,
  type RegionOutcome,
  type RegionSearchWrapper,
} from "./types.ts";

/** `half_open`: the wait is over and the next search (or the one in flight) probes the region. */
export type CircuitState = "closed" | "open" | "half_open";

/** What the breaker knows of one region, for `/ready`, `/metrics` and the tools. */
export interface RegionHealth {
  readonly name: string;
  readonly state: CircuitState;
  /** Failures in a row that count against the region (timeouts, network errors, 5xx, refusals). */
  readonly consecutiveFailures: number;
  /** Until when the region is skipped; set unless `closed`. */
  readonly openUntil?: Date;
  /** How the last search that reached the region ended; unset before the first. */
  readonly lastOutcome?: "ok" | RegionFailureKind;
  /** The reason of the last failure, when the last search failed. */
  readonly lastError?: string;
  /** How long the last search took, retry included. */
  readonly lastLatencyMs?: number;
  readonly lastCheckedAt?: Date;
}

/** Options for {@linkcode createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Failures in a row that open a circuit. Default 5. */
  threshold?: number;
  /** How long an open circuit skips its region. Default 30 s. */
  openMs?: number;
}

/** The circuits of every region; create one per process so that state lasts across calls. */
export interface CircuitBreaker {
  /**
   * Runs `search` of region `name` unless its circuit is open, when it
   * answers at once that the region was skipped; records how `search` ended.
   */
  guard(name: string, search: () => Promise<RegionOutcome>): Promise<RegionOutcome>;
  /** The state of region `name`'s circuit, read-only. */
  health(name: string): RegionHealth;
}

interface Circuit {
  failures: number;
  openUntil?: number;
  probing: boolean;
  lastFailure?: RegionError;
  last?: { outcome: "ok" | RegionFailureKind; error?: string; at: number; latencyMs: number };
}

// How an outcome bears on a region's health: it answered (even with an error of
// its own), it failed, it refused a fresh JWT (opens at once), or it tells nothing.
type Verdict = "answered" | "failed" | "refused" | "neutral";

const DEFAULT_THRESHOLD = 5;
const DEFAULT_OPEN_MS = 30_000;

/** Creates a {@linkcode CircuitBreaker} with no region failing yet. */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { now, threshold = DEFAULT_THRESHOLD, openMs = DEFAULT_OPEN_MS } = options;
  const circuits = new Map<string, Circuit>();

  function circuitOf(name: string): Circuit {
    let circuit = circuits.get(name);
    if (!circuit) circuits.set(name, circuit = { failures: 0, probing: false });
    return circuit;
  }

  function admit(circuit: Circuit): "pass" | "probe" | "skip" {
    if (circuit.openUntil === undefined) return "pass";
    if (now() < circuit.openUntil || circuit.probing) return "skip";
    circuit.probing = true;
    return "probe";
  }

  function record(circuit: Circuit, outcome: RegionOutcome, started: number) {
    const at = now();
    const error = outcome.ok ? undefined : outcome.error;
    circuit.last = {
      outcome: error?.kind ?? "ok",
      error: error?.message,
      at,
      latencyMs: at - started,
    };
    const verdict = judge(outcome);
    if (verdict === "neutral") return;
    if (verdict === "answered") {
      Object.assign(circuit, { failures: 0, openUntil: undefined, lastFailure: undefined });
      return;
    }
    circuit.failures++;
    circuit.lastFailure = error;
    const opens = verdict === "refused" || circuit.failures >= threshold;
    const alreadyOpen = circuit.openUntil !== undefined && at < circuit.openUntil;
    if (opens && !alreadyOpen) circuit.openUntil = at + openMs;
  }

  // "skipped until 12:34:56 UTC: failed 5 times in a row (last: answered HTTP 503)"
  function skip(name: string, circuit: Circuit): RegionOutcome {
    const last = circuit.lastFailure!;
    const why = circuit.failures >= threshold
      ? `failed ${circuit.failures} times in a row (last: ${last.message})`
      : last.message;
    const retryAt = now() < circuit.openUntil! ? circuit.openUntil! : undefined;
    const until = retryAt === undefined
      ? "while another search tries it again"
      : `until ${timeOfDay(retryAt)}`;
    const error = new RegionError(`skipped ${until}: ${why}`, {
      region: name,
      kind: last.kind,
      status: last.status,
      skipped: true,
      retryAt: retryAt === undefined ? undefined : new Date(retryAt),
      cause: last,
    });
    return { region: name, ok: false, error };
  }

  return {
    async guard(name, search) {
      const circuit = circuitOf(name);
      const admission = admit(circuit);
      if (admission === "skip") return skip(name, circuit);
      const started = now();
      try {
        const outcome = await search();
        record(circuit, outcome, started);
        return outcome;
      } finally {
        // A cancelled probe proves nothing: the next search probes instead.
        if (admission === "probe") circuit.probing = false;
      }
    },
    health(name) {
      const circuit = circuits.get(name);
      if (!circuit) return { name, state: "closed", consecutiveFailures: 0 };
      const { openUntil, last } = circuit;
      const state: CircuitState = openUntil === undefined
        ? "closed"
        : now() < openUntil
        ? "open"
        : "half_open";
      return {
        name,
        state,
        consecutiveFailures: circuit.failures,
        openUntil: openUntil === undefined ? undefined : new Date(openUntil),
        lastOutcome: last?.outcome,
        lastError: last?.error,
        lastLatencyMs: last?.latencyMs,
        lastCheckedAt: last && new Date(last.at),
      };
    },
  };
}

/** The layer that skips a region while `breaker` holds its circuit open. */
export function withBreaker(breaker: CircuitBreaker): RegionSearchWrapper {
  return (next) => (region, keyword, options) =>
    breaker.guard(region.name, () => next(region, keyword, options));
}

function judge(outcome: RegionOutcome): Verdict {
  if (outcome.ok) return "answered";
  const { error } = outcome;
  switch (error.kind) {
    case "timeout":
    case "network":
      return "failed";
    case "http_status":
      return (error.status ?? 0) >= 500 ? "failed" : "answered";
    case "auth":
      // No token to send (the token provider failed) says nothing about the region.
      return error.cause instanceof AuthError ? "neutral" : "refused";
    case "internal":
      return "neutral";
    case "upstream_error":
    case "invalid_body":
    case "redirect":
      return "answered";
  }
}
