/**
 * One table of the sessions of `/mcp` and `/sse`: shared limits (in all and per client), idle
 * sweep and shutdown. When it is full, the least recently active session with no request in
 * flight makes room, so one client cannot lock everyone out until its sessions idle out.
 * @module
 */

import { settledWithin } from "../async.ts";
import type { Logger } from "../log.ts";
import { LruMap } from "../lru.ts";
import type { JSONRPCMessage, RequestId } from "../mcp_sdk.ts";
import { formatDuration } from "../wording.ts";
import { BAD_REQUEST, rpcError, SESSION_NOT_FOUND } from "./respond.ts";
import type { RequestContext } from "./route.ts";

/** The JSON-RPC error of a call cut short by shutdown. */
export const SHUTTING_DOWN = {
  code: BAD_REQUEST,
  message: "Server shutting down: reconnect when it is back",
} as const;

/** A session as the table sees it. */
export interface TableSession {
  /** Milliseconds since the epoch of the client's last request (or its answer). */
  readonly lastActive: number;
  /** The client sent something after opening the session. */
  readonly confirmed: boolean;
  /** Whether a request of the session is being served (an open `/mcp` event stream counts). */
  busy(): boolean;
  close(): Promise<void>;
}

/** Requests in flight that shutdown waits for, then answers with {@linkcode SHUTTING_DOWN}. */
export interface InFlight {
  settled(): Promise<void>;
  answerShuttingDown(): Promise<void>;
}

/** A slot taken for a new session, given back when the session ends. */
export interface Slot<S extends TableSession> {
  add(id: string, session: S): void;
  /** Gives the slot back (again is harmless); a client coming back with the id is told `reason`. */
  release(reason?: string): void;
}

/** The limits of a {@linkcode SessionTable}. */
export interface SessionLimits {
  /** Most sessions at once; then the least recently active idle one makes room. Default 1000. */
  maxSessions?: number;
  /** Most sessions of one client (see {@linkcode clientOf}). Default 100. */
  maxSessionsPerClient?: number;
  /** A session with no request in flight this long is closed. Default 30 min. */
  sessionIdleMs?: number;
  /** A session whose client sends nothing after opening it is closed after this. Default 60 s. */
  initializeTimeoutMs?: number;
}

/** The sessions of every transport (`label`: "Session", "SSE session"), and the work in flight. */
export interface SessionTable {
  /** Sessions open or starting; with `label`, the open sessions of that transport. */
  count(label?: string): number;
  /** Whether {@linkcode SessionTable.close} was called: new sessions and requests are refused. */
  closing(): boolean;
  /**
   * The open session `id` if `client` opened it (to anyone else an id is unknown), else the 404
   * answer: why it ended when known and asked by its client, else `message`.
   */
  lookup<S extends TableSession>(
    label: string,
    id: string,
    { client, message }: { client: string; message: string },
  ): S | Response;
  /** Takes a slot for a session of `client`, evicting an idle one when full; else the refusal. */
  reserve<S extends TableSession>(label: string, client: string): Slot<S> | Response;
  /** Counts `work` until the returned function is called, so that shutdown can answer it. */
  track(work: InFlight): () => void;
  /** Closes the sessions idle for too long, or never used after they were opened. */
  closeIdle(): Promise<void>;
  /** Refuses new work, gives requests in flight `deadlineMs`, answers the rest, closes all. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

interface Entry {
  readonly group: string;
  readonly client: string;
  readonly session: TableSession;
  readonly slot: Slot<TableSession>;
}

const RETRY_AFTER_S = 60;
const REMEMBERED_ENDINGS = 4096;

/** What a client whose session made room for another is told when it comes back. */
export const EVICTED =
  "Session closed to make room for a newer one (the server or this client was at its session limit): reconnect to start a new one";

/** Creates an empty {@linkcode SessionTable}. */
export function createSessionTable(
  options: SessionLimits & { logger: Logger; now: () => number },
): SessionTable {
  const {
    logger,
    now,
    maxSessions = 1000,
    maxSessionsPerClient = 100,
    sessionIdleMs = 30 * 60_000,
    initializeTimeoutMs = 60_000,
  } = options;
  const entries = new Map<string, Entry>();
  const endings = new LruMap<string, { client: string; reason: string }>(REMEMBERED_ENDINGS);
  const perClient = new Map<string, number>();
  const inFlight = new Set<InFlight>();
  let taken = 0;
  let closing = false;

  function leastRecentlyActiveIdle(client?: string): [string, Entry] | undefined {
    let oldest: [string, Entry] | undefined;
    for (const pair of entries) {
      const { session } = pair[1];
      if ((client !== undefined && pair[1].client !== client) || session.busy()) continue;
      if (!oldest || session.lastActive < oldest[1].session.lastActive) oldest = pair;
    }
    return oldest;
  }

  // Makes room by closing the least recently active idle session; false when all are busy.
  function evict(client?: string): boolean {
    const victim = leastRecentlyActiveIdle(client);
    if (!victim) return false;
    const [id, entry] = victim;
    logger.info("{label} {session} closed to make room for a new one", {
      label: entry.group,
      session: sessionTag(id),
    });
    entry.slot.release(EVICTED);
    entry.session.close().catch((error) =>
      logger.debug("Closing an evicted session failed: {error}", { error })
    );
    return true;
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
        if (id !== undefined && entries.delete(id)) {
          if (reason) endings.set(id, { client, reason });
          // A session closed for a reason was logged with it.
          else logger.info("{label} {session} closed", { label: group, session: sessionTag(id) });
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
    if ((perClient.get(client) ?? 0) >= maxSessionsPerClient) {
      if (!evict(client)) {
        logger.warn("Refused a new session: its client has {count} open, the limit", {
          count: maxSessionsPerClient,
        });
        return tooManySessions(
          429,
          `Too many open sessions for this client (at most ${maxSessionsPerClient}, all busy): end sessions you no longer use, or retry later`,
        );
      }
    } else if (taken >= maxSessions && !evict()) {
      logger.warn("Refused a new session: {count} are open and busy, the limit", {
        count: taken,
      });
      return tooManySessions(
        503,
        "Too many open sessions: retry later, or end sessions you no longer use",
      );
    }
    return takeSlot<S>(group, client);
  }

  function isExpired({ session }: Entry): boolean {
    const limit = session.confirmed ? sessionIdleMs : initializeTimeoutMs;
    return !session.busy() && now() - session.lastActive > limit;
  }

  return {
    count: (label) =>
      label === undefined ? taken : [...entries.values()].filter((e) => e.group === label).length,
    closing: () => closing,
    reserve,
    lookup<S extends TableSession>(label: string, id: string, { client, message }: {
      client: string;
      message: string;
    }) {
      const entry = entries.get(id);
      if (entry?.group === label && entry.client === client) return entry.session as S;
      const ending = endings.get(id);
      const reason = ending?.client === client ? ending.reason : undefined;
      return rpcError(404, { code: SESSION_NOT_FOUND, message: reason ?? message });
    },
    track(work) {
      inFlight.add(work);
      return () => inFlight.delete(work);
    },
    async closeIdle() {
      const expired = [...entries].filter(([, entry]) => isExpired(entry));
      for (const [id, { group, session }] of expired) {
        const fields = { label: group, session: sessionTag(id) };
        if (session.confirmed) {
          logger.info("{label} {session} was idle for {idle}: closing it", {
            ...fields,
            idle: formatDuration(sessionIdleMs),
          });
        } else {
          logger.info("{label} {session} sent nothing after opening: closing it", fields);
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

/** Cancels each of `ids` on `transport` and answers it with {@linkcode SHUTTING_DOWN}. */
export async function answerShuttingDown(
  transport: {
    cancel(id: RequestId, reason: string): void;
    send(message: JSONRPCMessage): Promise<void>;
  },
  ids: readonly RequestId[],
): Promise<void> {
  for (const id of ids) {
    transport.cancel(id, SHUTTING_DOWN.message);
    // Fails only when the client already went away: there is no one left to tell.
    await transport.send({ jsonrpc: "2.0", id, error: SHUTTING_DOWN }).catch(() => {});
  }
}

/** A session's name in the logs: 8 hex digits, enough to follow it, too few to stand for it. */
export function sessionTag(id: string): string {
  return id.slice(0, 8);
}

/** Who a session counts against and serves: the bearer token's hash, else the address. */
export function clientOf(context: RequestContext): string {
  if (context.clientKey !== undefined) return `token:${context.clientKey}`;
  return `address:${context.remoteAddress ?? "unknown"}`;
}

function tooManySessions(status: 429 | 503, message: string): Response {
  return rpcError(status, message, {
    "retry-after": String(RETRY_AFTER_S),
  });
}
