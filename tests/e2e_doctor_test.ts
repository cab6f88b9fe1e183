import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };
import { SENTINEL_COOKIE } from "./harness.ts";
import { runServer, serveUpstream } from "./server_process.ts";

Deno.test("doctor --demo prints a table of passed checks and exits 0", async () => {
  const { code, stdout, stderr } = await runServer(["doctor", "--demo"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^byted-live-promotion \S+ doctor\n/);
  assert.match(stdout, /^CHECK +RESULT +DETAIL$/m);
  for (const name of ["credentials", "jwt", "region cn", "region us", "proxy", "tls"]) {
    assert.match(stdout, new RegExp(`^${name} +(ok|info) `, "m"), name);
  }
  assert.match(stdout, /All checks passed\.\n$/);
});

Deno.test("doctor --json reports a region that fails, exits 1, and shows no credential", async () => {
  const upstream = serveUpstream();
  const [cn, us] = upstream.regions;
  // us answers 404, as a registry does at a wrong --region URL.
  const args = [
    "--auth-url",
    upstream.authUrl,
    "--region",
    `cn=${cn!.baseUrl}`,
    "--region",
    `us=${us!.baseUrl}/wrong`,
  ];
  let result;
  try {
    result = await runServer(["doctor", "--json", ...args], { CAS_SESSION: SENTINEL_COOKIE });
  } finally {
    await upstream.close();
  }
  const { code, stdout, stderr } = result;
  assert.equal(code, 1, stderr);
  const report = JSON.parse(stdout);
  assert.equal(report.ok, false);
  const status = Object.fromEntries(
    report.checks.map((c: { name: string; status: string }) => [c.name, c.status]),
  );
  assert.deepEqual(status, {
    credentials: "pass",
    jwt: "pass",
    "region cn": "pass",
    "region us": "fail",
    proxy: "info",
    tls: "info",
  });
  const token = upstream.seen.find((r) => r.jwt)?.jwt;
  assert.ok(token);
  for (const secret of [SENTINEL_COOKIE, token]) {
    assert.ok(!stdout.includes(secret) && !stderr.includes(secret));
  }
});

Deno.test("deno task doctor runs the start task's command with doctor", () => {
  assert.equal(denoConfig.tasks.doctor.command, "deno task start doctor");
});

Deno.test("--json outside doctor exits 2 saying it belongs to doctor", async () => {
  const { code, stderr } = await runServer(["--json"]);
  assert.equal(code, 2);
  assert.match(stderr, /Option --json belongs to doctor/);
});
