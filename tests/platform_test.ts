import assert from "node:assert/strict";
import { forcedStopStatus, isPipe, type Os, stopSignals } from "../src/platform.ts";

const POSIX: Os[] = ["linux", "darwin", "freebsd"];
const NOT_PIPES = { fifo: false, socket: false };

Deno.test("the server stops on Ctrl-C and Ctrl-Break on Windows, which has no SIGTERM to listen for", () => {
  assert.deepEqual(stopSignals("windows"), ["SIGINT", "SIGBREAK"]);
});

Deno.test("the server stops on SIGINT and SIGTERM on Linux and macOS", () => {
  for (const os of POSIX) assert.deepEqual(stopSignals(os), ["SIGINT", "SIGTERM"], os);
});

Deno.test("a second stop signal exits with 128 plus the signal's number", () => {
  assert.equal(forcedStopStatus("SIGINT"), 130);
  assert.equal(forcedStopStatus("SIGTERM"), 143);
  assert.equal(forcedStopStatus("SIGBREAK"), 149);
});

Deno.test("on Linux and macOS stdin is a pipe when it is a FIFO or a socket", () => {
  for (const os of POSIX) {
    const pipe = (stat: { fifo: boolean; socket: boolean; file: boolean }) =>
      isPipe(os, { terminal: false, stat });
    assert.equal(pipe({ ...NOT_PIPES, fifo: true, file: false }), true, `${os}: a FIFO`);
    assert.equal(pipe({ ...NOT_PIPES, socket: true, file: false }), true, `${os}: a socket`);
    assert.equal(pipe({ ...NOT_PIPES, file: true }), false, `${os}: a file`);
    assert.equal(pipe({ ...NOT_PIPES, file: false }), false, `${os}: /dev/null`);
    assert.equal(isPipe(os, { terminal: false }), false, `${os}: no status`);
  }
});

Deno.test("on Windows a named pipe is a pipe though it reports neither FIFO nor socket, or no status", () => {
  assert.equal(isPipe("windows", { terminal: false, stat: { ...NOT_PIPES, file: false } }), true);
  assert.equal(isPipe("windows", { terminal: false }), true, "fstat of a pipe may fail");
  assert.equal(isPipe("windows", { terminal: false, stat: { ...NOT_PIPES, file: true } }), false);
});

Deno.test("a terminal is never a pipe, on any OS", () => {
  for (const os of [...POSIX, "windows"] as Os[]) {
    assert.equal(
      isPipe(os, { terminal: true, stat: { fifo: true, socket: true, file: false } }),
      false,
    );
    assert.equal(isPipe(os, { terminal: true }), false, os);
  }
});
