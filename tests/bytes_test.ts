import assert from "node:assert/strict";
import { declaresTooMuch, readCapped } from "../src/bytes.ts";

function streamOf(chunks: Uint8Array[]): { stream: ReadableStream<Uint8Array>; pulled(): number } {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[pulled++];
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  });
  return { stream, pulled: () => pulled };
}

Deno.test("readCapped returns every chunk of a stream in one array, up to the cap included", async () => {
  const bytes = new TextEncoder().encode("hello world");
  const { stream } = streamOf([bytes.subarray(0, 5), bytes.subarray(5)]);
  assert.deepEqual(await readCapped(stream, bytes.byteLength), bytes);
  assert.deepEqual(await readCapped(streamOf([]).stream, 0), new Uint8Array());
});

Deno.test("readCapped stops at the first chunk past the cap and reads no further", async () => {
  const chunk = new Uint8Array(512);
  const { stream, pulled } = streamOf(Array.from({ length: 100 }, () => chunk));
  assert.equal(await readCapped(stream, 1024), undefined);
  // The stream pulls one chunk ahead of the reader.
  assert.ok(pulled() <= 4, `pulled ${pulled()} chunks`);
});

Deno.test("readCapped keeps a copy of a chunk, not the large read buffer it is a view into", async () => {
  const buffer = new Uint8Array(64 * 1024).fill(7);
  const bytes = await readCapped(streamOf([buffer.subarray(0, 10)]).stream, 100);
  assert.deepEqual(bytes, new Uint8Array(10).fill(7));
  assert.equal(bytes?.buffer.byteLength, 10);
});

Deno.test("readCapped stops a read that never ends once its signal aborts, and cancels the stream", async () => {
  let cancelled: unknown;
  const endless = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(3));
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const deadline = new AbortController();
  const reading = readCapped(endless, 1024, { signal: deadline.signal });
  const reason = new Error("Too slow");
  deadline.abort(reason);
  await assert.rejects(reading, (error) => error === reason);
  assert.equal(cancelled, reason);
});

Deno.test("declaresTooMuch cancels a body whose Content-Length is over the cap, and only then", async () => {
  let cancelled = 0;
  const body = () => new ReadableStream<Uint8Array>({ cancel: () => void cancelled++ });
  const over = new Response(body(), { headers: { "content-length": "11" } });
  assert.equal(await declaresTooMuch(over, 10), true);
  assert.equal(cancelled, 1);
  const within = new Request("http://127.0.0.1/", {
    method: "POST",
    body: body(),
    headers: { "content-length": "10" },
  });
  assert.equal(await declaresTooMuch(within, 10), false);
  assert.equal(await declaresTooMuch(new Response(body()), 10), false);
  assert.equal(cancelled, 1);
});
