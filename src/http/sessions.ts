/** The sessions of `/mcp` and `/sse`. When full, the least recently active idle session makes
 * room, so one client cannot lock everyone out until its sessions idle out.
 * @module */

import { settledWithin } from "../async.ts";
import type { Logger } from "../log.ts";
import { LruMap } from "../lru.ts";
import type { RequestId } from "../mcp_sdk.ts";
import { formatDuration } from "../wording.ts";
import { SHUTTING_DOWN } from "../shutdown.ts";
import type { McpTransport } from "./mcp_transport.ts";
import { rpcError, SESSION_NOT_FOUND } from "./rpc_messages.ts";
import type { RequestContext } from "./route.ts";

export interface TableSession {
  /** Milliseconds since the epoch. */
  lastActive: number;
  confirmed: boolean;
  /** Whether a request of the session is being served (an open `/mcp` event stream counts). */
  busy(): boolean;
  close(): Promise<void>;
}

/** Requests in flight that shutdown waits for, then answers with {@linkcode SHUTTING_DOWN}. */
export interface InFlight {
  settled(): Promise<unknown>;
  answerShuttingDown?(): Promise<void>;
}

export interface Slot<S extends TableSession> {
  add(id: string, session: S): void;
  /** Gives the slot back (again is harmless); a client coming back with the id is told `reason`. */
  release(reason?: string): void;
}

export interface SessionLimits {
  maxSessions?: number;
  maxSessionsPerClient?: number;
  sessionIdleMs?: number;
  initializeTimeoutMs?: number;
}

interface Entry {
  readonly label: string;
  readonly client: string;
  id?: string;
  session?: TableSession;
}

type OpenEntry = Entry & { id: string; session: TableSession };

export const EVICTED =
  "Session closed to make room for a newer one (the server or this client was at its session limit): reconnect to start a new one";

/** The sessions of every transport (`label`: "Session", "SSE session"), and the work in flight. */
export class SessionTable {
  // Sessions open or starting (an `/mcp` session has its id once `initialize` succeeded).
  readonly #slots = new Set<Entry>();
  readonly #byId = new Map<string, OpenEntry>();
  // Why sessions ended, for a client that comes back; older ones get the plain 404.
  readonly #endings = new LruMap<string, { client: string; reason: string }>(4096);
  readonly #inFlight = new Set<InFlight>();
  readonly #limits: Required<SessionLimits>;
  readonly #logger: Logger;
  readonly #now: () => number;
  #closing = false;

  constructor(options: SessionLimits & { logger: Logger; now: () => number }) {
    this.#logger = options.logger;
    this.#now = options.now;
    this.#limits = {
      maxSessions: options.maxSessions ?? 1000,
      maxSessionsPerClient: options.maxSessionsPerClient ?? 100,
      sessionIdleMs: options.sessionIdleMs ?? 30 * 60_000,
      initializeTimeoutMs: options.initializeTimeoutMs ?? 60_000,
    };
  }

  count(label?: string): number {
    if (label === undefined) return this.#byId.size;
    return [...this.#byId.values()].filter((entry) => entry.label === label).length;
  }

  closing(): boolean {
    return this.#closing;
  }

  /** Session `id` if the request's client opened it (to anyone else it is unknown), else a 404. */
  lookup<S extends TableSession>(
    label: string,
    id: string,
    context: RequestContext,
    message: string,
  ): S | Response {
    const client = clientOf(context);
    const entry = this.#byId.get(id);
    if (entry?.label === label && entry.client === client) return entry.session as S;
    const ending = this.#endings.get(id);
    const reason = ending?.client === client ? ending.reason : undefined;
    return rpcError(404, { code: SESSION_NOT_FOUND, message: reason ?? message });
  }

  /** Evicts an idle session when full. */
  reserve<S extends TableSession>(label: string, context: RequestContext): Slot<S> | Response {
    if (this.#closing) return rpcError(503, SHUTTING_DOWN);
    const client = clientOf(context);
    const { maxSessions, maxSessionsPerClient } = this.#limits;
    const mine = [...this.#slots].filter((entry) => entry.client === client).length;
    if (mine >= maxSessionsPerClient) {
      if (!this.#evict(client)) {
        this.#logger.warn("Refused a new session: its client has {count} open, the limit", {
          count: maxSessionsPerClient,
        });
        return rpcError(
          429,
          `Too many open sessions for this client (at most ${maxSessionsPerClient}, all busy): end sessions you no longer use, or retry later`,
          RETRY_LATER,
        );
      }
    } else if (this.#slots.size >= maxSessions && !this.#evict()) {
      this.#logger.warn("Refused a new session: {count} are open and busy, the limit", {
        count: this.#slots.size,
      });
      return rpcError(
        503,
        "Too many open sessions: retry later, or end sessions you no longer use",
        RETRY_LATER,
      );
    }
    const entry: Entry = { label, client };
    this.#slots.add(entry);
    return {
      add: (id, session) => {
        this.#byId.set(id, Object.assign(entry, { id, session }));
        this.#logger.info("{label} {session} started ({count} open)", {
          label,
          session: sessionTag(id),
          count: this.#slots.size,
        });
      },
      release: (reason) => this.#release(entry, reason),
    };
  }

  /** Counts `work` in flight until the returned function is called. */
  track(work: InFlight): () => void {
    this.#inFlight.add(work);
    return () => this.#inFlight.delete(work);
  }

  async closeIdle(): Promise<void> {
    const { sessionIdleMs, initializeTimeoutMs } = this.#limits;
    const expired = [...this.#byId.values()].filter(({ session }) =>
      !session.busy() &&
      this.#now() - session.lastActive > (session.confirmed ? sessionIdleMs : initializeTimeoutMs)
    );
    for (const { label, id, session } of expired) {
      const why = session.confirmed
        ? `was idle for ${formatDuration(sessionIdleMs)}`
        : "sent nothing after opening";
      this.#logger.info("{label} {session} {why}: closing it", {
        label,
        session: sessionTag(id),
        why,
      });
    }
    await Promise.all(expired.map(({ session }) => session.close()));
  }

  /** Refuses new work, gives requests in flight `deadlineMs`, answers the rest, closes all. */
  async close({ deadlineMs = 0 } = {}): Promise<void> {
    this.#closing = true;
    const inFlight = [...this.#inFlight];
    if (inFlight.length > 0 && deadlineMs > 0) {
      await settledWithin(Promise.allSettled(inFlight.map((work) => work.settled())), deadlineMs);
    }
    await Promise.all([...this.#inFlight].map((work) => work.answerShuttingDown?.()));
    await Promise.all([...this.#byId.values()].map(({ session }) => session.close()));
  }

  // Closes the least recently active idle session (of `client`); false when all are busy.
  #evict(client?: string): boolean {
    let victim: OpenEntry | undefined;
    for (const entry of this.#byId.values()) {
      if ((client !== undefined && entry.client !== client) || entry.session.busy()) continue;
      if (!victim || entry.session.lastActive < victim.session.lastActive) victim = entry;
    }
    if (!victim) return false;
    this.#logger.info("{label} {session} closed to make room for a new one", {
      label: victim.label,
      session: sessionTag(victim.id),
    });
    this.#release(victim, EVICTED);
    victim.session.close().catch((error) =>
      this.#logger.debug("Closing an evicted session failed: {error}", { error })
    );
    return true;
  }

  #release(entry: Entry, reason?: string) {
    this.#slots.delete(entry);
    if (entry.id === undefined || !this.#byId.delete(entry.id)) return;
    // A session closed for a reason was logged with it.
    if (reason) this.#endings.set(entry.id, { client: entry.client, reason });
    else {
      this.#logger.info("{label} {session} closed", {
        label: entry.label,
        session: sessionTag(entry.id),
      });
    }
  }
}

/** Cancels each of `ids` on `transport` and answers it with {@linkcode SHUTTING_DOWN}. */
export async function answerShuttingDown(
  transport: Pick<McpTransport, "cancel" | "send" | "isUnanswered">,
  ids: readonly RequestId[],
): Promise<void> {
  for (const id of ids) {
    if (!transport.isUnanswered(id)) continue; // answered while an earlier error was sent
    transport.cancel(id, SHUTTING_DOWN.message);
    // Fails only when the client already went away: there is no one left to tell.
    await transport.send({ jsonrpc: "2.0", id, error: SHUTTING_DOWN }).catch(() => {});
  }
}

/** A session's name in the logs: 8 hex digits, enough to follow it, too few to stand for it. */
export function sessionTag(id: string): string {
  return id.slice(0, 8);
}

/**
 * Who a session counts against and serves: the bearer token's hash (the token itself is never
 * kept), else the address. A session serves only this client: its id alone is no credential.
 */
export function clientOf(context: RequestContext): string {
  if (context.clientKey !== undefined) return `token:${context.clientKey}`;
  return `address:${context.remoteAddress ?? "unknown"}`;
}

// How long a client refused for want of a session slot is asked to wait.
const RETRY_LATER = { "retry-after": "60" };
