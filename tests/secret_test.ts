import assert from "node:assert/strict";
import { redact, Secret } from "../src/secret.ts";
import { jwtExpiringAt } from "./fake_upstream.ts";

const VALUE = "SENTINEL-COOKIE-9f3c";

Deno.test("a secret prints as [redacted] in strings and templates", () => {
  const secret = new Secret(VALUE);
  assert.equal(String(secret), "[redacted]");
  assert.equal(`cookie: ${secret}`, "cookie: [redacted]");
  assert.equal("" + secret, "[redacted]");
});

Deno.test("a secret serializes to JSON as [redacted], also nested", () => {
  const secret = new Secret(VALUE);
  assert.equal(JSON.stringify(secret), '"[redacted]"');
  const json = JSON.stringify({ credential: { kind: "cas_session", value: secret } });
  assert.equal(json, '{"credential":{"kind":"cas_session","value":"[redacted]"}}');
});

Deno.test("a secret inspects as [redacted], as console.log would show it", () => {
  const secret = new Secret(VALUE);
  assert.equal(Deno.inspect(secret), "[redacted]");
  const nested = Deno.inspect({ config: { casSession: secret }, list: [secret] }, { depth: 10 });
  assert.ok(!nested.includes(VALUE), nested);
  assert.match(nested, /\[redacted\]/);
});

Deno.test("a secret's value shows in no enumerable property", () => {
  const secret = new Secret(VALUE);
  assert.deepEqual(Object.keys(secret), []);
  assert.ok(!JSON.stringify(Object.entries(secret)).includes(VALUE));
});

Deno.test("reveal returns the wrapped value", () => {
  assert.equal(new Secret(VALUE).reveal(), VALUE);
});

Deno.test("an empty secret is refused", () => {
  assert.throws(() => new Secret(""), TypeError);
});

Deno.test("redact replaces every JWT-shaped substring", () => {
  const token = jwtExpiringAt(Date.UTC(2026, 0, 1), { sub: "alice" });
  const other = jwtExpiringAt(Date.UTC(2027, 0, 1));
  const text = `first ${token} then "${other}" and again ${token}.`;
  assert.equal(redact(text), `first [redacted] then "[redacted]" and again [redacted].`);
});

Deno.test("redact leaves text without JWTs or secrets unchanged", () => {
  const text = "Region cn answered HTTP 502 after 1200 ms (eyJ alone is not a token)";
  assert.equal(redact(text), text);
  assert.equal(redact(text, [new Secret("absent-value")]), text);
});

Deno.test("redact replaces every occurrence of each given secret", () => {
  const cookie = new Secret(VALUE);
  const other = new Secret("service-account-key-77");
  const text = `Cookie: CAS_SESSION=${VALUE}; again ${VALUE}; key service-account-key-77`;
  assert.equal(
    redact(text, [cookie, other]),
    "Cookie: CAS_SESSION=[redacted]; again [redacted]; key [redacted]",
  );
});

Deno.test("redact scrubs JWTs and secrets in the same text", () => {
  const token = jwtExpiringAt(Date.UTC(2026, 0, 1));
  const clean = redact(`token=${token} cookie=${VALUE}`, [new Secret(VALUE)]);
  assert.equal(clean, "token=[redacted] cookie=[redacted]");
});

Deno.test("redact also takes plain strings and ignores empty ones", () => {
  assert.equal(redact("a opaque-1 b", ["opaque-1", ""]), "a [redacted] b");
});

Deno.test("redact replaces a JWT cut off before its signature like a whole one", () => {
  const jwt = jwtExpiringAt(Date.UTC(2030, 0, 1), { sub: "someone" });
  const [header, payload] = jwt.split(".");
  const partial = `${header}.${payload}`;
  assert.equal(
    redact(`upstream said: bad token ${partial} (truncated)`),
    "upstream said: bad token [redacted] (truncated)",
  );
  assert.equal(redact(`token=${partial}.`), "token=[redacted]");
});

Deno.test("redact replaces a lone base64 run that decodes to JSON with JWT claims", () => {
  const payload = jwtExpiringAt(Date.UTC(2030, 0, 1), { sub: "someone" }).split(".")[1];
  assert.equal(redact(`claims ${payload} rejected`), "claims [redacted] rejected");
  const padded = btoa(JSON.stringify({ iss: "auth", jti: "abc123" }));
  assert.equal(redact(`got ${padded}`), "got [redacted]");
  const cut = payload!.slice(0, payload!.length - 5);
  assert.equal(redact(`cut ${cut}`), "cut [redacted]", "a truncated payload still holds claims");
});

Deno.test("redact keeps base64 runs that are not JWT claims, and ordinary words", () => {
  const other = btoa(JSON.stringify({ region: "cn", status: 503, detail: "busy" }));
  const text = `region payload ${other}; everything fine; eyeball-measurements-were-taken`;
  assert.equal(redact(text), text);
});
