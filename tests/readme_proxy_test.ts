/**
 * The reverse proxy the README's Security section puts before a shared
 * deployment: its HAProxy snippet holds the limits the text names, and
 * HAProxy itself accepts it (where HAProxy and OpenSSL are installed).
 *
 * @module
 */

import assert from "node:assert/strict";

const SCRATCH = new URL("./testdata/tmp/", import.meta.url);
const CERT_PATH = "/etc/haproxy/certs/mcp.example.com.pem";

function haproxySnippet(): string {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  const blocks = [...readme.matchAll(/^```haproxy\n([^]*?)\n```$/gm)].map((m) => m[1]);
  assert.equal(blocks.length, 1, "the README shows one HAProxy config");
  return blocks[0]!;
}

function installed(command: string): boolean {
  try {
    new Deno.Command(command, { args: ["-v"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

Deno.test("the README's HAProxy config holds the limits the Security section names", () => {
  const config = haproxySnippet();
  const frontend = config.slice(config.indexOf("frontend "), config.indexOf("backend "));
  assert.match(frontend, /^\s+maxconn 512$/m, "at most 512 connections");
  assert.match(config, /^\s+timeout http-request 10s$/m, "headers within 10 s");
  assert.match(config, /^\s+timeout http-keep-alive 60s$/m, "idle connections closed after 60 s");
  assert.match(config, /^\s+timeout client 60s$/m);
  assert.match(config, /^\s+server \w+ 127\.0\.0\.1:8123$/m, "it forwards to the default port");
  assert.ok(config.includes(`ssl crt ${CERT_PATH}`), "it terminates TLS");
});

Deno.test({
  name: "HAProxy accepts the README's config",
  ignore: !installed("haproxy") || !installed("openssl"),
  async fn() {
    await Deno.mkdir(SCRATCH, { recursive: true });
    const dir = await Deno.makeTempDir({ dir: SCRATCH.pathname });
    try {
      const key = `${dir}/key.pem`;
      const cert = `${dir}/cert.pem`;
      const openssl = await new Deno.Command("openssl", {
        args: ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
          .concat(["-subj", "/CN=mcp.example.com", "-keyout", key, "-out", cert]),
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(openssl.code, 0, new TextDecoder().decode(openssl.stderr));
      const pem = `${dir}/mcp.pem`;
      await Deno.writeTextFile(pem, await Deno.readTextFile(cert) + await Deno.readTextFile(key));
      const file = `${dir}/haproxy.cfg`;
      await Deno.writeTextFile(file, haproxySnippet().replace(CERT_PATH, pem) + "\n");
      const check = await new Deno.Command("haproxy", { args: ["-c", "-f", file] }).output();
      const output = new TextDecoder().decode(check.stdout) +
        new TextDecoder().decode(check.stderr);
      assert.equal(check.code, 0, output);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
