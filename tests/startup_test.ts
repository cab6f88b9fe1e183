/**
 * `startup.sh` driven as a user would: start in demo mode, status, a second
 * start refused, stop; and the CAS_SESSION check. Its pid and log files go to
 * a directory of their own (MCP_RUN_DIR), so a server the developer started
 * with it is left alone.
 *
 * @module
 */

import assert from "node:assert/strict";
import { cleanEnv } from "./server_process.ts";
import { PERMISSION_FLAGS } from "../src/permissions.ts";

const SCRIPT = new URL("../startup.sh", import.meta.url).pathname;
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const DENO_DIR_OF_PATH = Deno.execPath().replace(/[/\\][^/\\]+$/, "");
const ignore = Deno.build.os === "windows";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs startup.sh (or a copy at `script`); `env.PATH` replaces the PATH with deno on it. */
async function startup(
  args: string[],
  env: Record<string, string>,
  script = SCRIPT,
): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [script, ...args],
    env: cleanEnv({ PATH: `${DENO_DIR_OF_PATH}:${Deno.env.get("PATH") ?? ""}`, ...env }),
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

// The test task may not write files: the shell makes and removes the directory.
async function sh(script: string, ...args: string[]): Promise<void> {
  const { code } = await new Deno.Command("sh", { args: ["-c", script, "sh", ...args] }).output();
  assert.equal(code, 0, `sh -c ${script} failed`);
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function runDir(): string {
  const tmp = (Deno.env.get("TMPDIR") ?? "/tmp").replace(/\/+$/, "");
  return `${tmp}/startup-test-${crypto.randomUUID()}`;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function health(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    await response.body?.cancel();
    return response.status;
  } catch {
    return undefined;
  }
}

Deno.test({
  name:
    "startup.sh starts the server in the background on MCP_PORT, reports it, refuses a second copy and stops it",
  ignore,
  async fn() {
    const dir = runDir();
    const port = freePort();
    const env = { MCP_RUN_DIR: dir, MCP_PORT: String(port) };
    const pidFile = `${dir}/mcp-server.pid`;
    // A pid file left by a server that died: it must not block the start.
    await sh('mkdir -p "$1" && echo 999999 > "$1/mcp-server.pid"', dir);
    try {
      const started = await startup(["--demo", "--host", "127.0.0.1"], env);
      assert.equal(started.code, 0, started.stderr);
      assert.match(started.stderr, /removing the stale .*mcp-server\.pid/);
      assert.match(started.stdout, new RegExp(`URL: +http://127\\.0\\.0\\.1:${port}/mcp`));
      const pid = Number(started.stdout.match(/pid: +(\d+)/)?.[1]);
      assert.equal(Number((await Deno.readTextFile(pidFile)).trim()), pid);
      assert.match(started.stdout, new RegExp(`log: +${dir}/mcp-server\\.log`));
      assert.equal(await health(port), 200);
      assert.match(await Deno.readTextFile(`${dir}/mcp-server.log`), /listening on/);

      const status = await startup(["status"], env);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`is running[\\s\\S]*pid: +${pid}`));

      const second = await startup(["--demo", "--host", "127.0.0.1"], env);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`already running \\(pid ${pid}.*startup\\.sh stop`));

      const stopped = await startup(["stop"], env);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, /stopped/);
      assert.equal(await health(port), undefined);
      assert.equal(await exists(pidFile), false);

      const after = await startup(["status"], env);
      assert.equal(after.code, 3);
      assert.match(after.stdout, /is not running/);
    } finally {
      await startup(["stop"], env);
      await sh('rm -rf "$1"', dir);
    }
  },
});

Deno.test({
  name: "startup.sh without CAS_SESSION and without --demo refuses to start and says how to set it",
  ignore,
  async fn() {
    const dir = runDir();
    try {
      const run = await startup([], { MCP_RUN_DIR: dir, MCP_PORT: String(freePort()) });
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /CAS_SESSION is not set \(nor CAS_SESSION_<region> .*copy the CAS_SESSION cookie/,
      );
      assert.match(run.stderr, /--demo/);
      assert.equal(await exists(`${dir}/mcp-server.pid`), false);
    } finally {
      await sh('rm -rf "$1"', dir);
    }
  },
});

Deno.test({
  name: "startup.sh starts with only a regional cookie or a service account set, no CAS_SESSION",
  ignore,
  async fn() {
    const dir = runDir();
    const port = freePort();
    // Nothing listens on port 9: the server starts all the same and only its searches would fail.
    const upstream = ["--auth-url", "http://127.0.0.1:9/jwt", "--region", "eu=http://127.0.0.1:9"];
    const env = { MCP_RUN_DIR: dir, MCP_PORT: String(port) };
    try {
      const credentials: Record<string, string>[] = [
        { CAS_SESSION_eu: "cookie" },
        { SERVICE_ACCOUNT_SECRET: "s" },
      ];
      for (const credential of credentials) {
        const started = await startup(["--host", "127.0.0.1", ...upstream], {
          ...env,
          ...credential,
        });
        assert.equal(started.code, 0, started.stderr);
        assert.equal(await health(port), 200);
        assert.equal((await startup(["stop"], env)).code, 0);
      }
    } finally {
      await startup(["stop"], env);
      await sh('rm -rf "$1"', dir);
    }
  },
});

// The commands startup.sh runs, linked into a directory that can stand for the whole PATH.
const SCRIPT_TOOLS = "bash tr ps grep sed awk tail curl wget sleep mkdir dirname rm nohup cat";

Deno.test({
  name: "startup.sh without deno on PATH runs the server through npx -y deno",
  ignore,
  async fn() {
    const dir = runDir();
    const port = freePort();
    const env = { MCP_RUN_DIR: dir, MCP_PORT: String(port), PATH: `${dir}/bin` };
    // npx stands in for the real one (which would download Deno): it records its arguments and
    // runs the deno of this test, as `npx -y deno ...` would.
    await sh(
      `mkdir -p "$1/bin" && for tool in ${SCRIPT_TOOLS}; do
         path=$(command -v "$tool") && ln -s "$path" "$1/bin/$tool"; done
       printf '#!/bin/sh\necho "$*" >> "%s/npx.log"\n[ "$1 $2" = "-y deno" ] || exit 64\nshift 2\nexec "%s" "$@"\n' "$1" "$2" > "$1/bin/npx"
       chmod +x "$1/bin/npx"`,
      dir,
      Deno.execPath(),
    );
    try {
      const started = await startup(["--demo", "--host", "127.0.0.1"], env);
      assert.equal(started.code, 0, started.stderr);
      assert.equal(await health(port), 200);
      assert.match(await Deno.readTextFile(`${dir}/npx.log`), /^-y deno /);
      const stopped = await startup(["stop"], env);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(await health(port), undefined);
    } finally {
      await startup(["stop"], env);
      await sh('rm -rf "$1"', dir);
    }
  },
});

Deno.test({
  name: "startup.sh runs dist/byted-live-promotion when it has been built",
  ignore,
  async fn() {
    const dir = runDir();
    const port = freePort();
    const env = { MCP_PORT: String(port) };
    // A copy of the script beside a stand-in binary: main.ts with the start task's permissions,
    // which is what the binary is.
    await sh(
      `mkdir -p "$1/dist" && cp "$2" "$1/startup.sh"
       printf '#!/bin/sh\necho "the dist binary ran" >&2\nexec "%s" run %s "%s" "$@"\n' "$3" "$4" "$5" > "$1/dist/byted-live-promotion"
       chmod +x "$1/dist/byted-live-promotion"`,
      dir,
      SCRIPT,
      Deno.execPath(),
      PERMISSION_FLAGS.map((flag) => `'${flag}'`).join(" "),
      MAIN,
    );
    const script = `${dir}/startup.sh`;
    try {
      const started = await startup(["--demo", "--host", "127.0.0.1"], env, script);
      assert.equal(started.code, 0, started.stderr);
      assert.equal(await health(port), 200);
      assert.match(await Deno.readTextFile(`${dir}/mcp-server.log`), /the dist binary ran/);
    } finally {
      await startup(["stop"], env, script);
      await sh('rm -rf "$1"', dir);
    }
  },
});

// startup.ps1 cannot run here (no PowerShell): these check that it is startup.sh's twin on paper.
const POWERSHELL_SCRIPT = new URL("../startup.ps1", import.meta.url);
const SHELL_SCRIPT = new URL("../startup.sh", import.meta.url);

Deno.test("startup.ps1 keeps the same pid and log files as startup.sh, beside it or in MCP_RUN_DIR", async () => {
  const sh = await Deno.readTextFile(SHELL_SCRIPT);
  const ps1 = await Deno.readTextFile(POWERSHELL_SCRIPT);
  for (const file of ["mcp-server.pid", "mcp-server.log"]) {
    assert.match(sh, new RegExp(`\\$run_dir/${file.replace(".", "\\.")}`), file);
    assert.match(ps1, new RegExp(`Join-Path \\$RunDir '${file.replace(".", "\\.")}'`), file);
  }
  assert.match(
    ps1,
    /\$RunDir = if \(\$env:MCP_RUN_DIR\) \{ \$env:MCP_RUN_DIR \} else \{ \$Root \}/,
  );
});

Deno.test("startup.ps1 has startup.sh's actions, variables, credential check and exit statuses", async () => {
  const sh = await Deno.readTextFile(SHELL_SCRIPT);
  const ps1 = await Deno.readTextFile(POWERSHELL_SCRIPT);
  for (const action of ["stop", "status", "start", "help"]) {
    assert.match(sh, new RegExp(`^  ${action}\\b.*\\)`, "m"), `startup.sh ${action}`);
    assert.match(ps1, new RegExp(`'${action}'`), `startup.ps1 ${action}`);
  }
  for (const name of ["MCP_RUN_DIR", "STARTUP_TIMEOUT_S", "MCP_PORT", "--demo", "DEMO"]) {
    assert.ok(sh.includes(name) && ps1.includes(name), name);
  }
  const refusal = "CAS_SESSION is not set (nor CAS_SESSION_<region> or SERVICE_ACCOUNT_SECRET)";
  assert.ok(sh.includes(refusal) && ps1.includes(refusal));
  assert.match(
    ps1,
    /CAS_SESSION\|CAS_SESSION_\.\+\|SERVICE_ACCOUNT_SECRET\|SERVICE_ACCOUNT_SECRET_\.\+/,
  );
  const statuses = "Exit status: 0 done, 1 failed, 3 `status` found it not running.";
  assert.ok(sh.includes(statuses) && ps1.includes(statuses));
  assert.match(ps1, /return 3/);
  // The start task's flags are read from deno.json, as startup.sh does, and never copied.
  assert.match(ps1, /\.tasks\.start\.command/);
  assert.ok(!ps1.includes("--allow-env="), "no copy of the permission flags");
});

Deno.test("startup.ps1 is ASCII, which Windows PowerShell 5.1 reads right without a byte order mark", async () => {
  const bytes = await Deno.readFile(POWERSHELL_SCRIPT);
  assert.equal(bytes.findIndex((byte) => byte > 0x7f), -1);
});
