/**
 * A cheap, conservative estimate of the heap a JSON-like value holds, for
 * bounding the cache by size rather than by count alone.
 *
 * The figures are V8's on 64-bit, rounded up: a string is a header and at most
 * two bytes per UTF-16 unit (one-byte strings take one); an object is a header
 * and a pointer per property (property names live in shared hidden classes);
 * an array is a header and a pointer per element; a number may be boxed. The
 * estimate walks the value once, so it costs as much as the value is large,
 * and it never counts a string or object shared with another entry as shared:
 * it overstates rather than understates.
 *
 * @module
 */

const STRING_HEADER_BYTES = 24;
const BYTES_PER_CHAR = 2;
const OBJECT_HEADER_BYTES = 32;
const POINTER_BYTES = 8;
const NUMBER_BYTES = 16;

/** Returns an upper estimate, in bytes, of the heap `value` holds (strings, numbers, arrays, plain objects). */
export function estimateHeapBytes(value: unknown): number {
  if (typeof value === "string") return STRING_HEADER_BYTES + BYTES_PER_CHAR * value.length;
  if (typeof value === "number") return NUMBER_BYTES;
  if (Array.isArray(value)) {
    let bytes = OBJECT_HEADER_BYTES + POINTER_BYTES * value.length;
    for (const item of value) bytes += estimateHeapBytes(item);
    return bytes;
  }
  if (typeof value === "object" && value !== null) {
    let bytes = OBJECT_HEADER_BYTES;
    for (const field of Object.values(value)) bytes += POINTER_BYTES + estimateHeapBytes(field);
    return bytes;
  }
  return 0; // booleans, undefined and null are pointers to shared values, counted by their holder
}
