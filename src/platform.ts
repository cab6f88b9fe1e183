/**
 * What the server does differently by operating system, each decision a pure
 * function of the OS (`Deno.build.os`) so that a test on Linux can ask what
 * Windows or macOS would get.
 *
 * @module
 */

/** An operating system as `Deno.build.os` names it. */
export type Os = typeof Deno.build.os;

/** The signal numbers of the stop signals, for the `128 + n` exit status of a forced stop. */
const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGBREAK: 21 } as const;

/** A signal that asks the server to shut down gracefully. */
export type StopSignal = keyof typeof SIGNAL_NUMBERS;

/**
 * Returns the signals that stop the server on `os`: Ctrl-C (`SIGINT`) everywhere, with Ctrl-Break
 * (`SIGBREAK`) on Windows, which has no `SIGTERM` to listen for, and `SIGTERM` elsewhere.
 */
export function stopSignals(os: Os): StopSignal[] {
  return os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/** Returns the exit status of a process stopped at once by a second `signal`: 128 plus its number. */
export function forcedStopStatus(signal: StopSignal): number {
  return 128 + SIGNAL_NUMBERS[signal];
}

/** What can be told about stdin without reading it; `stat` is absent when it cannot be read. */
export interface StdinFacts {
  /** Whether stdin is a terminal. */
  readonly terminal: boolean;
  /** Its file status: a FIFO, a socket, a regular file. */
  readonly stat?: { readonly fifo: boolean; readonly socket: boolean; readonly file: boolean };
}

/**
 * Returns true when stdin, described by `facts`, is a pipe or a socket, as when a desktop client
 * launched the server to talk MCP with it. On Windows a named pipe reports neither a FIFO nor a
 * socket (or no status at all), so there anything but a terminal or a regular file counts; a
 * false positive (`NUL`) only ends the stdio side at once.
 */
export function isPipe(os: Os, facts: StdinFacts): boolean {
  if (facts.terminal) return false;
  if (os === "windows") return !facts.stat?.file;
  return facts.stat !== undefined && (facts.stat.fifo || facts.stat.socket);
}

/** Returns true when this process's stdin is a pipe or a socket (see {@linkcode isPipe}). */
export async function stdinIsPipe(): Promise<boolean> {
  const terminal = Deno.stdin.isTerminal();
  if (terminal) return false;
  return isPipe(Deno.build.os, { terminal, stat: await stdinStat() });
}

async function stdinStat(): Promise<StdinFacts["stat"]> {
  // node:fs reads the open descriptor, so no read permission on /dev/stdin is needed. Loaded
  // here, not at start: a --stdio start never asks, and node:fs costs it measurably (P6).
  const { fstatSync } = await import("node:fs");
  try {
    const stat = fstatSync(0);
    return { fifo: stat.isFIFO(), socket: stat.isSocket(), file: stat.isFile() };
  } catch {
    return undefined;
  }
}
