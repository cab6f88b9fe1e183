/**
 * Reading a byte stream whole, up to a cap: request bodies (the HTTP guard)
 * and upstream answers share it.
 *
 * @module
 */

/**
 * Reads `stream` to its end and returns its bytes in one array, or undefined
 * as soon as it holds more than `maxBytes`; past the cap nothing is kept and
 * the stream is cancelled, unread.
 */
export async function readCapped(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    // Leaving the loop early cancels the stream: the rest is never read.
    if (size > maxBytes) return undefined;
    // A chunk may be a view into a large read buffer; copy it so the buffer can be freed.
    chunks.push(chunk.slice());
  }
  return concatBytes(chunks, size);
}

/** Returns `chunks` joined into one array of `size` bytes (the first chunk itself when alone). */
export function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
