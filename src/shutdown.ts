/** Graceful termination as Kubernetes and load balancers expect it: on the first stop signal the
 * server says it is not ready, keeps serving while they notice, then stops; a second ends it.
 * @module */

import { abortableSleep } from "./async.ts";
import type { Logger } from "./log.ts";
import { forcedStopStatus, type StopSignal } from "./platform.ts";

/** The JSON-RPC error of a call cut short by shutdown, over HTTP and stdio alike. */
export const SHUTTING_DOWN = {
  code: -32000,
  message: "Server shutting down: reconnect when it is back",
} as const;

/** How long calls in flight get to finish once the server stops. */
export const SHUTDOWN_DEADLINE_MS = 5_000;

export interface GracefulStopOptions {
  /** How long every route is still served after the first signal, `/ready` answering 503. */
  drainDelayMs: number;
  /** Makes `/ready` answer 503; called at once on the first signal. */
  drain?: () => void;
  stop: () => Promise<void>;
  exit: (code: number) => void;
  logger: Logger;
  delay?: (ms: number) => Promise<void>;
}

/**
 * Returns the handler of stop signals, and the exit status once the server has stopped: 0, or 1
 * when stopping failed. A second signal exits at once with 128 + its number.
 */
export function createGracefulStop(options: GracefulStopOptions) {
  const { drainDelayMs, logger, delay = abortableSleep } = options;
  const exitStatus = Promise.withResolvers<number>();
  let stopping = false;

  async function drainThenStop(): Promise<void> {
    options.drain?.();
    if (drainDelayMs > 0) {
      logger.info("Draining: /ready answers 503 for {seconds} s, then the server stops", {
        seconds: drainDelayMs / 1000,
      });
      await delay(drainDelayMs);
    }
    logger.info("Shutting down");
    await options.stop();
  }

  return {
    onSignal(signal: StopSignal) {
      if (stopping) return options.exit(forcedStopStatus(signal));
      stopping = true;
      drainThenStop().then(() => exitStatus.resolve(0), (error) => {
        logger.error("Shutdown failed: {error}", { error });
        exitStatus.resolve(1);
      });
    },
    exitStatus: exitStatus.promise,
  };
}
