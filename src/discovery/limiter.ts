/** Per-region limiter for the whole process: searches beyond the limit wait in line, in order.
 * @module */

import type { RegionSearchWrapper } from "./types.ts";

/** Returns the limiter layer: at most `concurrency` (at least one) requests per region. */
export function withLimiter({ concurrency }: { concurrency: number }): RegionSearchWrapper {
  const regions = new Map<string, { active: number; line: (() => void)[] }>();
  return (next) => async (region, keyword, options = {}) => {
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    let slots = regions.get(region.name);
    if (!slots) regions.set(region.name, slots = { active: 0, line: [] });
    if (slots.active < Math.max(1, concurrency)) slots.active++;
    else {
      await new Promise<void>((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          slots.line.splice(slots.line.indexOf(grant), 1);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        slots.line.push(grant);
      });
    }
    try {
      return await next(region, keyword, options);
    } finally {
      const first = slots.line.shift();
      if (first) first();
      else slots.active--;
    }
  };
}
