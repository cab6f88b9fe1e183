import assert from "node:assert/strict";
import { bareHost, canonicalHost, urlHost } from "../src/net.ts";

Deno.test("an IPv6 address is bracketed once in a URL and bare everywhere else", () => {
  for (const host of ["::1", "[::1]", " [::1] "]) {
    assert.equal(urlHost(host), "[::1]", host);
    assert.equal(bareHost(host), "::1", host);
  }
  assert.equal(urlHost("127.0.0.1"), "127.0.0.1");
  assert.equal(bareHost("localhost"), "localhost");
});

Deno.test("a host's canonical form is the URL parser's, and the bare text when it cannot be one", () => {
  assert.equal(canonicalHost("0:0:0:0:0:0:0:1"), "[::1]");
  assert.equal(canonicalHost("::ffff:127.0.0.1"), "[::ffff:7f00:1]");
  assert.equal(canonicalHost("127.1"), "127.0.0.1");
  assert.equal(canonicalHost("MCP.Example"), "mcp.example");
  assert.equal(canonicalHost("a b"), "a b");
});
