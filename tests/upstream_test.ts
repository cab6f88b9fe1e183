import assert from "node:assert/strict";
import { requestUpstream, UpstreamRequestError } from "../src/upstream.ts";
import { fakeUpstream, never } from "./fake_upstream.ts";

const URL_ = "https://upstream.test/api/thing";

function isUpstreamError(kind: string) {
  return (error: unknown) => {
    assert.ok(error instanceof UpstreamRequestError, `expected UpstreamRequestError, got ${error}`);
    assert.equal(error.name, "UpstreamRequestError");
    assert.equal(error.kind, kind);
    return true;
  };
}

/**
 * A body of 1000 copies of `chunk`, far more than any cap in these tests, that
 * records how many chunks were read and whether it was cancelled.
 */
function largeBody(chunk: Uint8Array) {
  const state = { pulls: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (++state.pulls > 1000) return controller.close();
      controller.enqueue(chunk.slice());
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { body, state };
}

Deno.test("requestUpstream returns the status, headers and body text of the answer", async () => {
  const fake = fakeUpstream([{
    url: URL_,
    query: { q: "x" },
    headers: { "x-jwt-token": "abc" },
    respond: () => new Response("hello, 世界", { status: 201, headers: { "X-Trace": "t-1" } }),
  }]);
  const response = await requestUpstream(fake.fetch, `${URL_}?q=x`, {
    headers: { "x-jwt-token": "abc" },
    timeoutMs: 1000,
  });
  fake.assertNoUnexpected();
  assert.equal(response.status, 201);
  assert.equal(response.headers.get("x-trace"), "t-1");
  assert.equal(response.text, "hello, 世界");
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0]!.method, "GET");
});

Deno.test("requestUpstream never follows a redirect: it returns the redirect itself", async () => {
  const fake = fakeUpstream([{
    url: URL_,
    respond: () => new Response(null, { status: 302, headers: { Location: "https://sso.test/" } }),
  }]);
  const response = await requestUpstream(fake.fetch, URL_, { headers: {}, timeoutMs: 1000 });
  assert.equal(fake.requests[0]!.redirect, "manual");
  assert.equal(response.status, 302);
  assert.equal(response.headers.get("location"), "https://sso.test/");
  assert.equal(response.text, "");
});

Deno.test("requestUpstream decodes UTF-8 split across body chunks", async () => {
  const bytes = new TextEncoder().encode("naïve 服务");
  const fake = fakeUpstream([{
    url: URL_,
    respond: () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
            controller.close();
          },
        }),
      ),
  }]);
  const response = await requestUpstream(fake.fetch, URL_, { headers: {}, timeoutMs: 1000 });
  assert.equal(response.text, "naïve 服务");
});

Deno.test("requestUpstream fails with kind timeout when the upstream does not answer in time", async () => {
  const fake = fakeUpstream([{ url: URL_, respond: () => never() }]);
  const started = performance.now();
  await assert.rejects(
    requestUpstream(fake.fetch, URL_, { headers: {}, timeoutMs: 20 }),
    (error) => {
      isUpstreamError("timeout")(error);
      assert.match((error as Error).message, /20 ms/);
      return true;
    },
  );
  assert.ok(performance.now() - started < 1000, "the timeout took far longer than 20 ms");
  assert.ok(fake.requests[0]!.signal.aborted, "the request's signal was not aborted");
  fake.assertNoUnexpected();
});

Deno.test("requestUpstream's time limit ends with the request: the signal never fires afterwards", async () => {
  // AbortSignal.timeout would keep its timer, and the request's signal, alive until it fires.
  const fake = fakeUpstream([{ url: URL_, respond: () => new Response("ok") }]);
  const caller = new AbortController();

  await requestUpstream(fake.fetch, URL_, { headers: {}, timeoutMs: 5, signal: caller.signal });
  await new Promise((resolve) => setTimeout(resolve, 30));
  caller.abort(new Error("a caller that goes away later"));

  assert.equal(fake.requests[0]!.signal.aborted, false, "the finished request was left alone");
});

Deno.test("requestUpstream fails with kind network when the connection fails", async () => {
  const cause = new TypeError("error sending request: connection refused\nmore detail");
  const fake = fakeUpstream([{
    url: URL_,
    respond: () => {
      throw cause;
    },
  }]);
  await assert.rejects(
    requestUpstream(fake.fetch, URL_, { headers: {}, timeoutMs: 1000 }),
    (error) => {
      isUpstreamError("network")(error);
      const { message, cause: actualCause } = error as Error;
      assert.match(message, /connection refused/);
      assert.ok(!message.includes("more detail"), "only the first line of the cause is kept");
      assert.equal(actualCause, cause);
      return true;
    },
  );
});

Deno.test("requestUpstream rejects with the caller's reason when the caller aborts", async () => {
  const fake = fakeUpstream([{ url: URL_, respond: () => never() }]);
  const controller = new AbortController();
  const reason = new Error("the client went away");
  const pending = requestUpstream(fake.fetch, URL_, {
    headers: {},
    timeoutMs: 1000,
    signal: controller.signal,
  });
  await Promise.resolve();
  controller.abort(reason);
  await assert.rejects(pending, (error) => {
    assert.equal(error, reason);
    assert.ok(!(error instanceof UpstreamRequestError));
    return true;
  });
  assert.equal(fake.requests.length, 1);
  assert.ok(fake.requests[0]!.signal.aborted);
});

Deno.test("requestUpstream with an already aborted signal rejects with its reason", async () => {
  const fake = fakeUpstream([{ url: URL_, respond: () => new Response("late") }]);
  const reason = new DOMException("cancelled", "AbortError");
  await assert.rejects(
    requestUpstream(fake.fetch, URL_, {
      headers: {},
      timeoutMs: 1000,
      signal: AbortSignal.abort(reason),
    }),
    (error) => error === reason,
  );
});

Deno.test("requestUpstream refuses a body whose declared length is over the cap without reading it", async () => {
  const { body, state } = largeBody(new Uint8Array(8));
  const fake = fakeUpstream([{
    url: URL_,
    respond: () => new Response(body, { headers: { "Content-Length": "1000" } }),
  }]);
  await assert.rejects(
    requestUpstream(fake.fetch, URL_, { headers: {}, timeoutMs: 1000, maxBodyBytes: 100 }),
    (error) => {
      isUpstreamError("too_large")(error);
      assert.match((error as Error).message, /100 bytes/);
      return true;
    },
  );
  assert.equal(state.pulls, 0, "the body was read although its declared size is too large");
  assert.ok(state.cancelled, "the body was not cancelled");
});

Deno.test("requestUpstream stops reading a streamed body once it passes the cap", async () => {
  const { body, state } = largeBody(new Uint8Array(8).fill(97));
  const fake = fakeUpstream([{ url: URL_, respond: () => new Response(body) }]);
  await assert.rejects(
    requestUpstream(fake.fetch, URL_, { headers: {}, timeoutMs: 1000, maxBodyBytes: 20 }),
    isUpstreamError("too_large"),
  );
  assert.ok(state.pulls <= 4, `read ${state.pulls} chunks of 8 bytes for a 20-byte cap`);
  assert.ok(state.cancelled, "the body was not cancelled");
});

Deno.test("requestUpstream accepts a body of exactly the cap", async () => {
  const fake = fakeUpstream([{ url: URL_, respond: () => new Response("x".repeat(20)) }]);
  const response = await requestUpstream(fake.fetch, URL_, {
    headers: {},
    timeoutMs: 1000,
    maxBodyBytes: 20,
  });
  assert.equal(response.text, "x".repeat(20));
});

Deno.test("requestUpstream with readBody false returns empty text and discards the body", async () => {
  const { body, state } = largeBody(new Uint8Array(8));
  const fake = fakeUpstream([{
    url: URL_,
    respond: () => new Response(body, { status: 200, headers: { "X-Jwt-Token": "t" } }),
  }]);
  const response = await requestUpstream(fake.fetch, URL_, {
    headers: {},
    timeoutMs: 1000,
    readBody: false,
    maxBodyBytes: 4,
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-jwt-token"), "t");
  assert.equal(response.text, "");
  assert.equal(state.pulls, 0);
  assert.ok(state.cancelled, "the unread body was not cancelled");
});

Deno.test("a network failure that quotes the request's headers does not repeat their values", async () => {
  const fetch = () =>
    Promise.reject(new TypeError('Invalid header value: "CAS_SESSION=cookie-value-123\n"'));
  await assert.rejects(
    requestUpstream(fetch, "https://auth.test/jwt", {
      headers: { Cookie: "CAS_SESSION=cookie-value-123" },
      timeoutMs: 1_000,
    }),
    (error: UpstreamRequestError) => {
      assert.equal(error.kind, "network");
      assert.ok(!error.message.includes("cookie-value-123"), error.message);
      assert.match(error.message, /\[redacted\]/);
      return true;
    },
  );
});

Deno.test("a network failure message keeps ordinary header values and hides credential ones", async () => {
  const fetch = () =>
    Promise.reject(
      new TypeError(
        "refused 127.0.0.1: accept application/json, token tok-9xyz, session s-7abcdef",
      ),
    );
  await assert.rejects(
    requestUpstream(fetch, "https://neptune.test/search", {
      headers: {
        Accept: "application/json",
        "x-jwt-token": "tok-9xyz",
        Cookie: "a=1; CAS_SESSION=s-7abcdef",
      },
      timeoutMs: 1_000,
    }),
    (error: UpstreamRequestError) => {
      assert.match(
        error.message,
        /refused 127\.0\.0\.1: accept application\/json, token \[redacted\], session \[redacted\]/,
      );
      return true;
    },
  );
});
