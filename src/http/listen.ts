/** Listens again when `Deno.serve` stops accepting (out of file descriptors, denoland/deno#10148),
 * which closes the port and leaves nothing to keep the process alive.
 * @module */

import { abortableSleep } from "../async.ts";
import { errorSummary, type Logger } from "../log.ts";

export interface ServedPort {
  readonly addr: Deno.NetAddr;
  /** Resolves after `shutdown`, rejects when accepting failed. */
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

export type ServeFunction = (
  options: Deno.ServeTcpOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
) => ServedPort;

export interface ListenOptions {
  readonly hostname: string;
  /** 0 picks a free port, kept when listening again. */
  readonly port: number;
  /** Only when the port is first listened on. */
  readonly onListen?: (addr: Deno.NetAddr) => void;
  readonly onError?: (error: unknown) => Response | Promise<Response>;
  readonly logger: Logger;
  readonly serve?: ServeFunction;
  /** First wait before listening again, doubled after each failure up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface Listener {
  /** The one picked, when 0 was asked for. */
  readonly port: number;
  shutdown(): Promise<void>;
}

/** @throws when the port cannot be listened on at first (in use, not allowed). */
export function listen(
  handler: Deno.ServeHandler<Deno.NetAddr>,
  options: ListenOptions,
): Listener {
  const {
    hostname,
    onListen,
    onError,
    logger,
    serve = (options, handler) => Deno.serve(options, handler),
    backoffMs = 50,
    maxBackoffMs = 1_000,
  } = options;
  const start = (port: number, announce?: (addr: Deno.NetAddr) => void) =>
    serve({ hostname, port, onListen: announce ?? (() => {}), onError }, handler);
  let current: ServedPort = start(options.port, onListen);
  const port = current.addr.port;
  const stopped = new AbortController();

  async function keepListening() {
    while (true) {
      try {
        return await current.finished;
      } catch (error) {
        if (stopped.signal.aborted) return;
        logger.error(
          "The HTTP listener stopped accepting ({reason}): listening again on port {port}",
          { reason: errorSummary(error), port },
        );
      }
      for (let attempt = 1, delay = backoffMs;; attempt++) {
        await abortableSleep(delay, { signal: stopped.signal }).catch(() => {});
        if (stopped.signal.aborted) return;
        try {
          current = start(port);
          break;
        } catch (error) {
          // Out of descriptors the socket itself cannot be made: wait for connections to close.
          if (attempt === 1) {
            logger.warn("Cannot listen on port {port} yet ({reason}): trying again", {
              port,
              reason: errorSummary(error),
            });
          }
          delay = Math.min(delay * 2, maxBackoffMs);
        }
      }
      logger.info("Listening on port {port} again", { port });
    }
  }

  const listening = keepListening();
  return {
    port,
    async shutdown() {
      stopped.abort();
      await Promise.all([current.shutdown().catch(() => {}), listening]);
    },
  };
}
