/** Reading a byte stream whole, up to a cap: request bodies and upstream answers.
 * @module */

/** Reads `stream` whole, or cancels it and returns undefined once over `maxBytes`. */
export async function readCapped(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  { signal }: { signal?: AbortSignal } = {},
): Promise<Uint8Array | undefined> {
  signal?.throwIfAborted();
  const reader = stream.getReader();
  // Cancelling ends a pending read at once: a client that never sends the rest cannot hold it.
  const stop = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", stop, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { value, done } = await reader.read();
      signal?.throwIfAborted();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return undefined;
      }
      // A chunk may be a view into a large read buffer; copy it so the buffer can be freed.
      chunks.push(value.slice());
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    reader.releaseLock();
  }
  return concatBytes(chunks, size);
}

/** Whether a message's Content-Length is over `maxBytes`; if so its body is cancelled unread. */
export async function declaresTooMuch(
  message: Request | Response,
  maxBytes: number,
): Promise<boolean> {
  const declared = Number(message.headers.get("content-length") ?? NaN);
  if (!(declared > maxBytes)) return false;
  await message.body?.cancel();
  return true;
}

/** Joins `chunks` of `size` bytes in all (the first chunk itself when alone). */
export function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const [first] = chunks;
  if (first && chunks.length === 1) return first;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
