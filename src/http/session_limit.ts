/**
 * One cap on the sessions of every transport: `/mcp` sessions and legacy
 * `/sse` streams count against the same number.
 *
 * @module
 */

import { BAD_REQUEST, rpcError } from "./respond.ts";

/** The sessions open (or starting) across transports, against one maximum. */
export interface SessionLimit {
  /** Sessions open or starting. */
  count(): number;
  /**
   * Takes a slot for a new session and returns the function that gives it
   * back (calling it twice is harmless), or `undefined` when none is free.
   */
  take(): (() => void) | undefined;
}

// How long a client turned away at the session limit is asked to wait, in seconds.
const RETRY_AFTER_S = 60;

/** Creates a {@linkcode SessionLimit} of `max` sessions. */
export function createSessionLimit(max: number): SessionLimit {
  let taken = 0;
  return {
    count: () => taken,
    take() {
      if (taken >= max) return undefined;
      taken++;
      let released = false;
      return () => {
        if (!released) taken--;
        released = true;
      };
    },
  };
}

/** The 503 answer to a new session over the limit, with `Retry-After`. */
export function tooManySessions(): Response {
  return rpcError(503, {
    code: BAD_REQUEST,
    message: "Too many open sessions: retry later, or end sessions you no longer use",
  }, { "retry-after": String(RETRY_AFTER_S) });
}
