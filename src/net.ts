/** Host names as people and URLs spell them: IPv6 brackets, canonical forms, loopback names.
 * @module */

/** Returns `host` trimmed, without the brackets a URL puts around an IPv6 address. */
export function bareHost(host: string): string {
  return host.trim().replace(/^\[(.*)\]$/, "$1");
}

/** Returns `host` as a URL spells it: an IPv6 address in brackets, once. */
export function urlHost(host: string): string {
  const bare = bareHost(host);
  return bare.includes(":") ? `[${bare}]` : bare;
}

/** Returns `host` as a URL normalizes it (`127.1` is `127.0.0.1`), or bare if it cannot be. */
export function canonicalHost(host: string): string {
  return URL.parse(`http://${urlHost(host)}`)?.hostname ?? bareHost(host);
}

/** Whether `hostname` names this machine's loopback interface, in any spelling. */
export function isLoopback(hostname: string): boolean {
  return isCanonicalLoopback(canonicalHost(hostname));
}

/** {@linkcode isLoopback} for a name already canonical, such as a parsed URL's `hostname`. */
export function isCanonicalLoopback(name: string): boolean {
  return name === "localhost" || name.endsWith(".localhost") || name === "[::1]" ||
    /^127\.\d+\.\d+\.\d+$/.test(name) || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name);
}
