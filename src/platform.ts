/** What differs by operating system, as pure functions of the OS that a test on Linux can ask.
 * @module */

export type Os = typeof Deno.build.os;

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGBREAK: 21 } as const;

export type StopSignal = keyof typeof SIGNAL_NUMBERS;

/** Returns the signals that stop the server on `os`; Windows has no `SIGTERM` to listen for. */
export function stopSignals(os: Os): StopSignal[] {
  return os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/** Returns the exit status of a forced stop by a second `signal`: 128 plus its number. */
export function forcedStopStatus(signal: StopSignal): number {
  return 128 + SIGNAL_NUMBERS[signal];
}

/**
 * Returns true when stdin is a pipe or a socket. A Windows named pipe reports neither, so there
 * anything but a terminal or file counts; a false positive (`NUL`) only ends the stdio side.
 */
export function isPipe(
  os: Os,
  facts: { terminal: boolean; stat?: { fifo: boolean; socket: boolean; file: boolean } },
): boolean {
  if (facts.terminal) return false;
  if (os === "windows") return !facts.stat?.file;
  return facts.stat !== undefined && (facts.stat.fifo || facts.stat.socket);
}

/** Returns true when this process's stdin is a pipe or a socket (see {@linkcode isPipe}). */
export async function stdinIsPipe(): Promise<boolean> {
  if (Deno.stdin.isTerminal()) return false;
  // node:fs needs no read permission on /dev/stdin; loaded late, as it slows a --stdio start.
  const { fstatSync } = await import("node:fs");
  try {
    const stat = fstatSync(0);
    return isPipe(Deno.build.os, {
      terminal: false,
      stat: { fifo: stat.isFIFO(), socket: stat.isSocket(), file: stat.isFile() },
    });
  } catch {
    return isPipe(Deno.build.os, { terminal: false });
  }
}
