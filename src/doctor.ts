/** `doctor`: checks credentials, JWTs, regions, proxy and CA settings; says how to fix failures.
 * @module */

import { AuthError } from "./auth.ts";
import { type Config, type Env, type EnvReader, envReaderOf } from "./config/mod.ts";
import type { RegionFailureKind, RegionSearchWrapper } from "./discovery/mod.ts";
import { SERVER_NAME, VERSION } from "./about.ts";
import { createDependencies, type DependencyOptions } from "./dependencies.ts";
import type { Dependencies } from "./tools/deps.ts";
import { formatDuration } from "./wording.ts";

/** One line of the doctor's report: what was found (never a credential), what to do about it. */
export interface DoctorCheck {
  readonly name: string;
  /** `skip`: the check could not run; `info`: a setting, described. */
  readonly status: "pass" | "fail" | "skip" | "info";
  readonly detail: string;
  readonly fix?: string;
}

export type DoctorReport = { readonly ok: boolean; readonly checks: readonly DoctorCheck[] };

// Any keyword a registry answers quickly; whether it matches does not matter.
const PROBE_KEYWORD = "infra.neptune.registry";

const CA_FIX =
  "when it inspects TLS set DENO_TLS_CA_STORE=system, or DENO_CERT or NODE_EXTRA_CA_CERTS to its CA file";

function networkFix(url: string, read: EnvReader): string {
  const proxy = proxyFor(url, read);
  const host = new URL(url).host;
  if (!proxy) {
    return `Check the VPN; behind a corporate proxy set HTTPS_PROXY (and NO_PROXY), and ${CA_FIX}`;
  }
  return `${host} was not reached through the proxy ${proxy.address} (${proxy.variable}): check that the proxy runs and lets ${host} through, or add ${host} to NO_PROXY to go direct; ${CA_FIX}`;
}

/** Returns the proxy Deno's fetch uses for `url` and its variable; `undefined` when direct. */
export function proxyFor(url: string, read: EnvReader) {
  const target = new URL(url);
  const variable = target.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY";
  const address = proxyAddress(read(variable) ?? "");
  if (!address || bypassesProxy(target, read("NO_PROXY"))) return undefined;
  return { variable, address };
}

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

// NO_PROXY as Deno reads it: `*`, or host names (a leading dot or not) matching the host and
// its subdomains, each optionally with a port.
function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  const host = target.hostname.toLowerCase();
  const port = target.port || DEFAULT_PORTS[target.protocol];
  return (noProxy ?? "").split(/[\s,]+/).filter(Boolean).some((entry) => {
    if (entry === "*") return true;
    const [name, entryPort] = entry.toLowerCase().replace(/^\*?\./, "").split(":");
    if (entryPort && entryPort !== port) return false;
    return host === name || host.endsWith(`.${name}`);
  });
}

const UNREACHABLE: ReadonlySet<string> = new Set(["network", "timeout"]);

const REGION_FIXES: Partial<Record<RegionFailureKind, string>> = {
  // A region is only searched once its JWT was obtained: the credential works, the registry
  // refused the token it brought.
  auth:
    "Ask for access to this registry for the account the JWT is issued to, or check that the region's auth URL is the one its tokens come from",
  http_status: "The registry is failing or the URL is wrong: check --region / NEPTUNE_REGIONS",
  invalid_body: "The URL may not be a Neptune registry: check --region / NEPTUNE_REGIONS",
};

/** Contacts each auth service and region; `env` is the environment as the server read it. */
export async function runDoctor(
  config: Config,
  options: DependencyOptions & { env: Env },
): Promise<DoctorReport> {
  const { now } = options;
  // When each region last answered a request (a retry is one too): the search's time there.
  const answeredAt = new Map<string, number>();
  const requests: RegionSearchWrapper = (next) => async (region, ...rest) => {
    const outcome = await next(region, ...rest);
    answeredAt.set(region.name, now());
    return outcome;
  };
  const deps = createDependencies(config, { ...options, instruments: { requests } });
  const read = envReaderOf(options.env);
  const jwts = await checkJwts(deps, { now, read });
  const withToken = new Set(jwts.flatMap((jwt) => jwt.check.status === "pass" ? jwt.regions : []));
  const checks = [
    checkCredentials(deps),
    ...jwts.map(({ check }) => check),
    ...await checkRegions(deps, withToken, read, { answeredAt, now }),
    describeProxy(read, config),
    describeCertificates(read, config),
  ];
  return { ok: checks.every((check) => check.status !== "fail"), checks };
}

function checkCredentials({ auth, demo }: Dependencies): DoctorCheck {
  if (demo) return pass("credentials", "not needed: demo mode answers from the built-in catalogue");
  const missing = auth.sources.filter((source) => !source.credential).flatMap((s) => s.regions);
  const set = auth.sources.flatMap(({ credential, regions }) =>
    credential ? [`${credential.source} for ${regions.join(", ")}`] : []
  );
  if (missing.length === 0) return pass("credentials", set.join("; "));
  const withheld = auth.sources.filter((source) => source.withheld);
  if (set.length === 0 && withheld.length === 0) {
    return fail(
      "credentials",
      "CAS_SESSION is not set",
      "Sign in to SSO in the browser, copy the CAS_SESSION cookie's value and export CAS_SESSION=<value>",
    );
  }
  const variable = withheld[0]?.withheld;
  const hosts = withheld.map((s) => new URL(s.authUrl).hostname).join(", ");
  const otherwise = variable === undefined
    ? "(or CAS_SESSION for every region)"
    : `(${variable} is not sent to ${hosts}, another site than the default auth URL's, unless the config file's region says "credential": "${variable}")`;
  const regions = missing.join(", ");
  return fail(
    "credentials",
    [...set, `none for ${regions}`].join("; "),
    `Set CAS_SESSION_<region> or SERVICE_ACCOUNT_SECRET_<region> for ${regions} ${otherwise}`,
  );
}

// One JWT check per auth service and credential, with the regions it serves.
function checkJwts(deps: Dependencies, { now, read }: { now: () => number; read: EnvReader }) {
  const sources = deps.auth.sources.filter((source) => source.credential);
  return Promise.all(sources.map(async ({ tokens, authUrl, regions }) => {
    const name = sources.length === 1 ? "jwt" : `jwt ${regions.join(",")}`;
    try {
      await tokens.getToken();
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      const fix = UNREACHABLE.has(error.code) ? networkFix(authUrl, read) : undefined;
      return { regions, check: fail(name, error.message, fix) };
    }
    const { expiresAt } = tokens.status();
    const expiry = expiresAt
      ? `; expires ${expiresAt.toISOString()} (in ${formatDuration(expiresAt.getTime() - now())})`
      : "";
    const from = deps.demo ? "the demo auth service" : new URL(authUrl).host;
    return { regions, check: pass(name, `obtained from ${from}${expiry}`) };
  }));
}

async function checkRegions(
  { discovery, auth }: Dependencies,
  withToken: Set<string>,
  read: EnvReader,
  { answeredAt, now }: { answeredAt: ReadonlyMap<string, number>; now: () => number },
): Promise<DoctorCheck[]> {
  const credentialed = new Set(auth.sources.flatMap((s) => s.credential ? s.regions : []));
  const skip = (region: string) =>
    skipped(`region ${region}`, credentialed.has(region) ? "needs a JWT" : "needs a credential");
  if (withToken.size === 0) return discovery.regions.map((region) => skip(region.name));
  // Every region is asked, live: an early answer or a cached one would check nothing.
  const startedAt = now();
  const result = await discovery.search(PROBE_KEYWORD, { waitAllRegions: true, refresh: true });
  return result.outcomes.map((outcome) => {
    if (!withToken.has(outcome.region)) return skip(outcome.region);
    const answered = answeredAt.get(outcome.region);
    const elapsed = answered === undefined ? "" : `${Math.round(answered - startedAt)} ms`;
    const name = `region ${outcome.region}`;
    if (outcome.ok) return pass(name, `answered a search${elapsed && ` in ${elapsed}`}`);
    const { kind } = outcome.error;
    const region = discovery.regions.find((r) => r.name === outcome.region)!;
    const fix = UNREACHABLE.has(kind) ? networkFix(region.baseUrl, read) : REGION_FIXES[kind];
    return fail(name, `${outcome.error.message}${elapsed && ` (after ${elapsed})`}`, fix);
  });
}

// Deno's fetch also honours the lower-case names; only the upper-case ones are read here, so
// that the permission list stays short (README says to use them).
const PROXY_VARIABLES = ["HTTPS_PROXY", "HTTP_PROXY"] as const;

function describeProxy(read: EnvReader, config: Config): DoctorCheck {
  const parts: string[] = [];
  for (const name of PROXY_VARIABLES) {
    const raw = read(name)?.trim();
    if (!raw) continue;
    const shown = proxyAddress(raw);
    if (shown === undefined) {
      // The value is not shown: a proxy URL may carry a password.
      return fail(
        "proxy",
        `${name} is not a URL`,
        `Set ${name} to the proxy's address, such as http://proxy.example.com:3128`,
      );
    }
    parts.push(`${name}=${shown}`);
  }
  if (parts.length === 0) parts.push("HTTPS_PROXY and HTTP_PROXY not set: requests go direct");
  const noProxy = read("NO_PROXY")?.trim();
  parts.push(noProxy ? `NO_PROXY=${noProxy}` : "NO_PROXY not set");
  return info("proxy", `${parts.join("; ")}${notUsedInDemo(config)}`);
}

/** Returns `scheme://host:port` of a proxy URL, without any user name or password. */
export function proxyAddress(raw: string): string | undefined {
  const value = raw.trim();
  // Like Deno, a proxy given without a scheme is taken as http.
  const url = URL.parse(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  if (!url?.hostname) return undefined;
  const port = url.port || DEFAULT_PORTS[url.protocol];
  return `${url.protocol}//${url.hostname}${port ? `:${port}` : ""}`;
}

const CA_STORES = ["system", "mozilla"];

function describeCertificates(read: EnvReader, config: Config): DoctorCheck {
  const store = read("DENO_TLS_CA_STORE")?.trim();
  const unknown = store?.split(",").map((s) => s.trim()).filter((s) => !CA_STORES.includes(s));
  if (unknown?.length) {
    return fail(
      "tls",
      `DENO_TLS_CA_STORE=${store} names an unknown store`,
      "Set DENO_TLS_CA_STORE to system, mozilla or system,mozilla",
    );
  }
  const parts = [
    store ? `DENO_TLS_CA_STORE=${store}` : "DENO_TLS_CA_STORE not set (Mozilla's CA list)",
    ...(["DENO_CERT", "NODE_EXTRA_CA_CERTS"] as const).map((name) => {
      const file = read(name)?.trim();
      return file ? `${name}=${file}` : `${name} not set`;
    }),
  ];
  return info("tls", `${parts.join("; ")}${notUsedInDemo(config)}`);
}

const notUsedInDemo = (config: Config) => config.demo ? " (not used in demo mode)" : "";

const pass = (name: string, detail: string): DoctorCheck => ({ name, status: "pass", detail });
const skipped = (name: string, detail: string): DoctorCheck => ({ name, status: "skip", detail });
const info = (name: string, detail: string): DoctorCheck => ({ name, status: "info", detail });

function fail(name: string, detail: string, fix: string | undefined): DoctorCheck {
  return fix ? { name, status: "fail", detail, fix } : { name, status: "fail", detail };
}

/** Formats `report` as a table for people: one row per check, each fix under its failure. */
export function formatDoctorReport(report: DoctorReport): string {
  const nameWidth = Math.max(5, ...report.checks.map((check) => check.name.length)) + 2;
  const row = (name: string, label: string, detail: string) =>
    `${name.padEnd(nameWidth)}${label.padEnd(8)}${detail}`;
  const lines = [`${SERVER_NAME} ${VERSION} doctor`, "", row("CHECK", "RESULT", "DETAIL")];
  for (const check of report.checks) {
    const label = check.status === "pass" ? "ok" : check.status === "fail" ? "FAIL" : check.status;
    lines.push(row(check.name, label, check.detail));
    if (check.fix) lines.push(row("", "", `-> ${check.fix}`));
  }
  const failed = report.checks.filter((check) => check.status === "fail").length;
  const checks = failed === 1 ? "check" : "checks";
  const summary = `${failed} ${checks} failed: see the FAIL rows and what to do under them.`;
  lines.push("", failed === 0 ? "All checks passed." : summary);
  return lines.join("\n");
}
