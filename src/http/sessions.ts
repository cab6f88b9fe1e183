/**
 * One table of the sessions of every transport: `/mcp` sessions and legacy
 * `/sse` streams share its limits (in all, and per client), its idle sweep
 * and its shutdown. When the table is full, the least recently active session
 * with no request in flight makes room for a new one, so one client cannot
 * lock everyone out until its sessions idle out.
 *
 * @module
 */

import { settledWithin } from "../async.ts";
import type { Logger } from "../log.ts";
import { LruMap } from "../lru.ts";
import type { JSONRPCMessage, RequestId } from "../mcp_sdk.ts";
import { formatDuration } from "../wording.ts";
import { BAD_REQUEST, type RpcError, rpcError, SESSION_NOT_FOUND } from "./respond.ts";
import type { RequestContext } from "./route.ts";

/** The JSON-RPC error code and message of a call cut short by shutdown. */
export const SHUTTING_DOWN = {
  code: BAD_REQUEST,
  message: "Server shutting down: reconnect when it is back",
} as const;

/** A session as the table sees it; each transport's session object provides it. */
export interface TableSession {
  /** Milliseconds since the epoch of the client's last request (or its answer). */
  readonly lastActive: number;
  /** The client sent something after opening the session. */
  readonly confirmed: boolean;
  /** Whether a request of the session is being served (an open `/mcp` event stream counts). */
  busy(): boolean;
  /** Ends the session: its server, its transport and its stream. */
  close(): Promise<void>;
}

/** Requests in flight that shutdown gives a deadline to, then answers with {@linkcode SHUTTING_DOWN}. */
export interface InFlight {
  /** Settles once every one of its requests has been answered. */
  settled(): Promise<void>;
  /** Answers every request still unanswered with {@linkcode SHUTTING_DOWN} and stops its work. */
  answerShuttingDown(): Promise<void>;
}

/** A slot taken for a new session, given back when the session ends. */
export interface Slot<S extends TableSession> {
  /** Enters the session under `id`, once it has one. */
  add(id: string, session: S): void;
  /**
   * Gives the slot back and forgets the session (calling it again is
   * harmless); a client that comes back with its id is told `reason`.
   */
  release(reason?: string): void;
}

/** The sessions of one transport, in the table shared with the others. */
export interface SessionGroup<S extends TableSession> {
  /** Open sessions of this transport. */
  count(): number;
  /**
   * The open session `id` of this transport, if there is one and `client`
   * opened it (to anyone else a session id is unknown, even one they
   * learned); else the 404 answer: why it ended, when known and asked by the
   * client that opened it, else `message`.
   */
  lookup(id: string, client: string, message: string): S | Response;
  /**
   * Takes a slot for a new session of `client`, first closing the least
   * recently active idle session when the table (or the client's share) is
   * full; returns the refusal to answer with when every session is busy.
   */
  reserve(client: string): Slot<S> | Response;
}

/** Options for {@linkcode createSessionTable}. */
export interface SessionTableOptions {
  /** Where sessions opened, closed and refused are logged. */
  logger: Logger;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Most sessions open (or starting) at once, every transport and client together. */
  maxSessions: number;
  /** Most sessions open at once for one client (see {@linkcode clientOf}). */
  maxSessionsPerClient: number;
  /** A session with no request in flight this long is closed. */
  sessionIdleMs: number;
  /** A session whose client sends nothing after opening it is closed after this long. */
  initializeTimeoutMs: number;
}

/** The sessions of every transport, and the requests in flight that shutdown waits for. */
export interface SessionTable {
  /** Sessions open or starting, every transport together. */
  count(): number;
  /** Whether {@linkcode SessionTable.close} was called: new sessions and requests are refused. */
  closing(): boolean;
  /** The sessions of one transport, named `label` in the logs ("Session", "SSE session"). */
  group<S extends TableSession>(label: string): SessionGroup<S>;
  /** Counts `work` until the returned function is called, so that shutdown can answer it. */
  track(work: InFlight): () => void;
  /** Closes the sessions idle for too long, or never used after they were opened. */
  closeIdle(): Promise<void>;
  /**
   * Refuses new sessions and requests, lets the requests in flight finish for
   * up to `deadlineMs`, answers the rest with {@linkcode SHUTTING_DOWN}, then
   * closes every session.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

interface Entry {
  readonly group: string;
  readonly client: string;
  readonly session: TableSession;
  readonly slot: Slot<TableSession>;
}

// How long a client turned away at the session limit is asked to wait, in seconds.
const RETRY_AFTER_S = 60;

// Ids of sessions closed for a reason a returning client should hear; older ones get the plain 404.
const REMEMBERED_ENDINGS = 4096;

/** What a client whose session made room for another is told when it comes back. */
export const EVICTED =
  "Session closed to make room for a newer one (the server or this client was at its session limit): reconnect to start a new one";

/** Creates an empty {@linkcode SessionTable}. */
export function createSessionTable(options: SessionTableOptions): SessionTable {
  const { logger, now } = options;
  const entries = new Map<string, Entry>();
  const endings = new LruMap<string, { client: string; reason: string }>(REMEMBERED_ENDINGS);
  const perClient = new Map<string, number>();
  const inFlight = new Set<InFlight>();
  let taken = 0;
  let closing = false;

  function forget(id: string, reason?: string) {
    const entry = entries.get(id);
    if (entry && reason) endings.set(id, { client: entry.client, reason });
    return entries.delete(id);
  }

  // The least recently active session with no request in flight, of `client` when given.
  function leastRecentlyActiveIdle(client?: string): [string, Entry] | undefined {
    let oldest: [string, Entry] | undefined;
    for (const pair of entries) {
      const [, entry] = pair;
      if (client !== undefined && entry.client !== client) continue;
      if (entry.session.busy()) continue;
      if (!oldest || entry.session.lastActive < oldest[1].session.lastActive) oldest = pair;
    }
    return oldest;
  }

  function evict([id, entry]: [string, Entry]) {
    logger.info("{label} {session} closed to make room for a new one", {
      label: entry.group,
      session: sessionTag(id),
    });
    entry.slot.release(EVICTED);
    entry.session.close().catch((error) =>
      logger.debug("Closing an evicted session failed: {error}", { error })
    );
  }

  function takeSlot<S extends TableSession>(group: string, client: string): Slot<S> {
    taken++;
    perClient.set(client, (perClient.get(client) ?? 0) + 1);
    let id: string | undefined;
    let released = false;
    const slot: Slot<S> = {
      add(sessionId, session) {
        id = sessionId;
        entries.set(sessionId, { group, client, session, slot: slot as Slot<TableSession> });
      },
      release(reason) {
        // A session closed for a reason was logged with it.
        if (id !== undefined && forget(id, reason) && !reason) {
          logger.info("{label} {session} closed", {
            label: group,
            session: sessionTag(id),
          });
        }
        if (released) return;
        released = true;
        taken--;
        const left = perClient.get(client)! - 1;
        if (left > 0) perClient.set(client, left);
        else perClient.delete(client);
      },
    };
    return slot;
  }

  function reserve<S extends TableSession>(group: string, client: string): Slot<S> | Response {
    if ((perClient.get(client) ?? 0) >= options.maxSessionsPerClient) {
      const victim = leastRecentlyActiveIdle(client);
      if (!victim) {
        logger.warn("Refused a new session: its client has {count} open, the limit", {
          count: options.maxSessionsPerClient,
        });
        return tooManySessions(429, {
          code: BAD_REQUEST,
          message:
            `Too many open sessions for this client (at most ${options.maxSessionsPerClient}, all busy): end sessions you no longer use, or retry later`,
        });
      }
      evict(victim);
    } else if (taken >= options.maxSessions) {
      const victim = leastRecentlyActiveIdle();
      if (!victim) {
        logger.warn("Refused a new session: {count} are open and busy, the limit", {
          count: taken,
        });
        return tooManySessions(503, {
          code: BAD_REQUEST,
          message: "Too many open sessions: retry later, or end sessions you no longer use",
        });
      }
      evict(victim);
    }
    return takeSlot<S>(group, client);
  }

  function group<S extends TableSession>(name: string): SessionGroup<S> {
    return {
      count: () => [...entries.values()].filter((entry) => entry.group === name).length,
      lookup(id, client, message) {
        const entry = entries.get(id);
        if (entry?.group === name && entry.client === client) return entry.session as S;
        const ending = endings.get(id);
        const reason = ending?.client === client ? ending.reason : undefined;
        return rpcError(404, { code: SESSION_NOT_FOUND, message: reason ?? message });
      },
      reserve: (client) => reserve<S>(name, client),
    };
  }

  function isExpired({ session }: Entry): boolean {
    const limit = session.confirmed ? options.sessionIdleMs : options.initializeTimeoutMs;
    return !session.busy() && now() - session.lastActive > limit;
  }

  return {
    count: () => taken,
    closing: () => closing,
    group,
    track(work) {
      inFlight.add(work);
      return () => inFlight.delete(work);
    },
    async closeIdle() {
      const expired = [...entries].filter(([, entry]) => isExpired(entry));
      for (const [sessionId, { group, session }] of expired) {
        if (session.confirmed) {
          logger.info("{label} {session} was idle for {idle}: closing it", {
            label: group,
            session: sessionTag(sessionId),
            idle: formatDuration(options.sessionIdleMs),
          });
        } else {
          logger.info("{label} {session} sent nothing after opening: closing it", {
            label: group,
            session: sessionTag(sessionId),
          });
        }
      }
      await Promise.all(expired.map(([, { session }]) => session.close()));
    },
    async close({ deadlineMs = 0 } = {}) {
      closing = true;
      if (inFlight.size > 0 && deadlineMs > 0) {
        await settledWithin(Promise.all([...inFlight].map((work) => work.settled())), deadlineMs);
      }
      await Promise.all([...inFlight].map((work) => work.answerShuttingDown()));
      await Promise.all([...entries.values()].map(({ session }) => session.close()));
    },
  };
}

/** A transport whose requests shutdown can cancel and answer. */
export interface Answerable {
  /** Stops the work of `id` as a client's `notifications/cancelled` would. */
  cancel(id: RequestId, reason: string): void;
  /** Sends `message` to the client. */
  send(message: JSONRPCMessage): Promise<void>;
}

/** Cancels each of `ids` on `transport` and answers it with {@linkcode SHUTTING_DOWN}. */
export async function answerShuttingDown(
  transport: Answerable,
  ids: readonly RequestId[],
): Promise<void> {
  for (const id of ids) {
    transport.cancel(id, SHUTTING_DOWN.message);
    // Fails only when the client already went away: there is no one left to tell.
    await transport.send({ jsonrpc: "2.0", id, error: SHUTTING_DOWN }).catch(() => {});
  }
}

/**
 * How a session is named in the logs: the first 8 hex digits of its id,
 * enough to follow it from line to line, too few to stand for it (and an id
 * serves only the client that opened it anyway).
 */
export function sessionTag(id: string): string {
  return id.slice(0, 8);
}

/**
 * Who a new session counts against: the hash of the bearer token that
 * `requireBearer` accepted when the server requires one (the token itself is
 * never kept), else the client's address.
 */
export function clientOf(context: RequestContext): string {
  if (context.clientKey !== undefined) return `token:${context.clientKey}`;
  return `address:${context.remoteAddress ?? "unknown"}`;
}

function tooManySessions(status: 429 | 503, error: RpcError): Response {
  return rpcError(status, error, { "retry-after": String(RETRY_AFTER_S) });
}
