/** How times, durations and reasons are written in texts a person reads, whoever writes them.
 * @module */

/** Returns `ms` as `45 s`, `12 min` (under two hours) or `3 h 5 min`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const rest = minutes % 60;
  return `${Math.floor(minutes / 60)} h${rest ? ` ${rest} min` : ""}`;
}

/** Returns the time of day in UTC, such as `12:34:56 UTC`, for waits too short for a date. */
export function timeOfDay(time: Date | number): string {
  return `${new Date(time).toISOString().slice(11, 19)} UTC`;
}

/** Returns `date` as ISO 8601, or `undefined` when there is no date or it is not a valid one. */
export function isoTime(date: Date | undefined): string | undefined {
  return date && Number.isFinite(date.getTime()) ? date.toISOString() : undefined;
}

/** One `region, region: reason` line per distinct reason, in order of first appearance. */
export function groupByReason(pairs: Iterable<readonly [string, string]>): string[] {
  const byReason = Map.groupBy(pairs, ([, reason]) => reason);
  return [...byReason].map(([reason, group]) => `${group.map(([r]) => r).join(", ")}: ${reason}`);
}
