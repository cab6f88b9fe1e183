/**
 * Which auth services count as the same site as the default one, so that the
 * unsuffixed `CAS_SESSION` (or `SERVICE_ACCOUNT_SECRET`) is sent only where
 * its SSO domain is. A small rule instead of the public suffix list: the site
 * of a host is its last two labels (`cloud-ttp-us.bytedance.net` ->
 * `bytedance.net`), or its last three when the last two are a generic
 * second-level domain of a country (`a.example.co.uk` -> `example.co.uk`); an
 * IP address or a single label (`localhost`) is its own site.
 *
 * @module
 */

// Second-level domains under which anyone registers (co.uk, com.cn, ...): the site is one label
// more. Under a two-label public suffix not listed here two unrelated hosts would count as one
// site: the rule is meant for SSO domains a company owns, not for the whole public suffix list.
const GENERIC_SECOND_LEVEL = new Set(["ac", "co", "com", "edu", "gov", "ne", "net", "or", "org"]);

/** Returns the site of `hostname` (lower case): its registrable domain, or the host itself. */
export function siteOf(hostname: string): string {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.includes(":") || host.startsWith("[") || /^[\d.]+$/.test(host)) return host;
  const labels = host.split(".");
  if (labels.length <= 2) return host;
  const [second = "", top = ""] = labels.slice(-2);
  const count = top.length === 2 && GENERIC_SECOND_LEVEL.has(second) ? 3 : 2;
  return labels.slice(-count).join(".");
}

/** Returns the site of the host of the http(s) URL `href`. */
export function siteOfUrl(href: string): string {
  return siteOf(new URL(href).hostname);
}
