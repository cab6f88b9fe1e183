import assert from "node:assert/strict";
import { siteOf } from "../../src/config/credentials.ts";

function siteOfUrl(href: string): string {
  return siteOf(new URL(href).hostname);
}

Deno.test("a host's site is its last two labels: the SSO domains of the known auth hosts", () => {
  assert.equal(siteOf("cloud.bytedance.net"), "bytedance.net");
  assert.equal(siteOf("cloud-ttp-us.bytedance.net"), "bytedance.net");
  assert.equal(siteOf("cloud-i18n.tiktok-eu.org"), "tiktok-eu.org");
  assert.equal(siteOf("Bytedance.NET."), "bytedance.net");
  assert.equal(siteOfUrl("https://cloud-i18n.bytedance.net:8443/auth/api/v1/jwt"), "bytedance.net");
});

Deno.test("under a generic second-level domain of a country the site has three labels", () => {
  assert.equal(siteOf("sso.example.co.uk"), "example.co.uk");
  assert.equal(siteOf("a.b.example.com.cn"), "example.com.cn");
  assert.notEqual(siteOf("sso.one.com.cn"), siteOf("sso.two.com.cn"));
  // A two-letter top-level domain alone does not add a label.
  assert.equal(siteOf("auth.example.de"), "example.de");
});

Deno.test("an IP address or a single label is its own site", () => {
  assert.equal(siteOfUrl("http://127.0.0.1:8080/auth"), "127.0.0.1");
  assert.notEqual(siteOf("10.0.0.1"), siteOf("10.0.0.2"));
  assert.equal(siteOfUrl("http://[::1]:9/auth"), "[::1]");
  assert.equal(siteOf("localhost"), "localhost");
  assert.notEqual(siteOf("localhost"), siteOf("127.0.0.1"));
});
