/**
 * `check_jwt_status()`: whether the server can authenticate, and until when,
 * for each auth source (an auth URL and the credential it is asked with).
 * Never shows a token, a cookie or a secret: only the variable it came from.
 *
 * @module
 */

import { z } from "zod";
import type { TokenStatus } from "../auth.ts";
import type { AuthSource } from "../auth_sources.ts";
import { formatDuration, isoTime } from "../wording.ts";
import { credentialKindOf, credentialKindSchema, credentialKindWords } from "./credential_kind.ts";
import type { Dependencies, ToolRegistry } from "./deps.ts";

const tokenFields = {
  configured: z.boolean().describe("Whether a credential is set (always true in demo mode)"),
  valid: z.boolean().describe("Whether the server holds an unexpired JWT"),
  expires_at: z.string().optional().describe("ISO 8601 expiry of the JWT"),
  renews_at: z.string().optional().describe("When the JWT is renewed, ahead of its expiry"),
  seconds_left: z.number().int().optional(),
  last_refresh_at: z.string().optional(),
  last_error: z.string().optional(),
  warning: z.string().optional().describe(
    "Why the JWT's own expiry was not trusted, such as this machine's clock being off",
  ),
};

const sourceSchema = z.object({
  auth_url: z.string(),
  regions: z.array(z.string()).describe("The regions whose searches use this source's JWT"),
  credential_kind: credentialKindSchema,
  credential_source: z.string().optional().describe(
    "The environment variable the credential comes from; its value is never shown",
  ),
  ...tokenFields,
});

const outputSchema = z.object({
  ...tokenFields,
  configured: z.boolean().describe("Whether every auth source has a credential"),
  valid: z.boolean().describe("Whether every auth source holds an unexpired JWT"),
  expires_at: z.string().optional().describe("ISO 8601 expiry of the JWT that expires first"),
  auto_refresh: z.boolean().describe("The JWT is renewed automatically before it expires"),
  auth_url: z.string().describe("The auth endpoint of regions that do not name their own"),
  sources: z.array(sourceSchema).describe("One per auth URL and credential, in region order"),
  demo: z.boolean().describe("True when the JWT comes from the built-in demo auth service"),
  message: z.string(),
});

type SourceReport = z.infer<typeof sourceSchema>;

/** Registers `check_jwt_status` on `server`. */
export function registerCheckJwtStatus(server: ToolRegistry, deps: Dependencies): void {
  server.registerTool(
    "check_jwt_status",
    {
      title: "Check JWT status",
      description:
        "Check whether the server can authenticate to the registry: for each auth service, which regions use it, " +
        "whether its credential (CAS_SESSION cookie or service account) is set, whether the JWT is valid and when it expires. " +
        "Obtains a JWT first if the server has none. Use it when searches fail with authentication errors.",
      outputSchema: outputSchema.shape,
      // Open world: it asks the auth service for a token when it holds none.
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async ({ signal }) => {
      const { auth, authUrl, demo } = deps;
      // A failure is recorded in the status; the tool reports it rather than failing.
      await Promise.all(
        auth.sources.map((source) => source.tokens.getToken({ signal }).catch(() => {})),
      );
      const reports = auth.sources.map(reportSource);
      const overall = overallStatus(reports);
      const message = (demo ? DEMO_NOTE : "") +
        (reports.length === 1
          ? describeStatus(auth.sources[0]!.tokens.status())
          : describeAllSources(reports));
      const text = reports.length === 1
        ? formatStatusText(auth.sources[0]!.tokens.status(), message, { authUrl, demo })
        : formatSourcesText(reports, message);
      return {
        content: [{ type: "text", text }],
        structuredContent: {
          ...overall,
          auto_refresh: overall.configured,
          auth_url: authUrl,
          sources: reports,
          demo,
          message,
        },
      };
    },
  );
}

function reportSource(source: AuthSource): SourceReport {
  return {
    auth_url: source.authUrl,
    regions: [...source.regions],
    credential_kind: credentialKindOf(source.credential),
    credential_source: source.credential?.source,
    ...tokenReport(source.tokens.status()),
  };
}

function tokenReport(status: TokenStatus) {
  return {
    configured: status.configured,
    valid: status.valid,
    expires_at: isoTime(status.expiresAt),
    renews_at: isoTime(status.renewsAt),
    seconds_left: status.secondsLeft,
    last_refresh_at: isoTime(status.lastRefreshAt),
    last_error: status.lastError,
    warning: status.expiryWarning,
  };
}

// One source is reported as itself; several as the weakest of them.
function overallStatus(reports: readonly SourceReport[]) {
  const [only] = reports;
  if (only && reports.length === 1) {
    const {
      regions: _,
      auth_url: _url,
      credential_kind: _kind,
      credential_source: _source,
      ...token
    } = only;
    return token;
  }
  const first = <K extends "expires_at" | "renews_at">(key: K) =>
    reports.map((r) => r[key]).filter((v) => v !== undefined).sort()[0];
  const lefts = reports.flatMap((r) => r.seconds_left ?? []);
  const errors = reports.flatMap((r) =>
    r.last_error ? [`${r.regions.join(", ")}: ${r.last_error}`] : []
  );
  const warnings = reports.flatMap((r) =>
    r.warning ? [`${r.regions.join(", ")}: ${r.warning}`] : []
  );
  return {
    configured: reports.every((r) => r.configured),
    valid: reports.every((r) => r.valid),
    expires_at: first("expires_at"),
    renews_at: first("renews_at"),
    seconds_left: lefts.length > 0 ? Math.min(...lefts) : undefined,
    last_error: errors.length > 0 ? errors.join("; ") : undefined,
    warning: warnings.length > 0 ? warnings.join("; ") : undefined,
  };
}

const DEMO_NOTE =
  "Demo mode: the JWT comes from the built-in demo auth service and CAS_SESSION is not used. ";

function describeStatus(status: TokenStatus): string {
  if (status.valid && status.lastError === undefined) {
    const warning = status.expiryWarning ? ` Warning: ${status.expiryWarning}.` : "";
    return `The JWT is valid for ${
      formatDuration((status.secondsLeft ?? 0) * 1000)
    } and is renewed automatically.${warning}`;
  }
  if (status.valid) {
    return `The JWT is valid for ${
      formatDuration((status.secondsLeft ?? 0) * 1000)
    }, but the last renewal failed: ${status.lastError}`;
  }
  return status.lastError ?? "No JWT yet: it is obtained on the first search.";
}

function describeAllSources(reports: readonly SourceReport[]): string {
  const valid = reports.filter((r) => r.valid && r.last_error === undefined).length;
  if (valid === reports.length) {
    return `All ${reports.length} auth sources hold a valid JWT, renewed automatically.`;
  }
  const problems = reports.filter((r) => !r.valid || r.last_error !== undefined)
    .map((r) =>
      `${r.regions.join(", ")}: ${r.last_error ?? "no JWT yet, it is obtained on the first search"}`
    );
  return `${valid} of ${reports.length} auth sources hold a valid JWT. ${problems.join("; ")}`;
}

function formatStatusText(
  status: TokenStatus,
  message: string,
  { authUrl, demo }: { authUrl: string; demo: boolean },
): string {
  const expiresAt = isoTime(status.expiresAt);
  const renewsAt = isoTime(status.renewsAt);
  return [
    message,
    demo
      ? "Mode: demo (built-in sample catalogue; CAS_SESSION is not used)"
      : `CAS_SESSION configured: ${status.configured ? "yes" : "no"}`,
    `JWT valid: ${status.valid ? "yes" : "no"}`,
    ...(expiresAt ? [`Expires at: ${expiresAt}`] : []),
    status.configured
      ? `Auto-refresh: yes${renewsAt ? ` (renews at ${renewsAt})` : ""}`
      : "Auto-refresh: no (no CAS_SESSION)",
    `Auth endpoint: ${authUrl}${demo ? " (answered in-process in demo mode)" : ""}`,
  ].join("\n");
}

function formatSourcesText(reports: readonly SourceReport[], message: string): string {
  return [message, ...reports.map(formatSource)].join("\n");
}

function formatSource(report: SourceReport): string {
  const credential = report.credential_source
    ? `${credentialKindWords(report.credential_kind)} from ${report.credential_source}`
    : "no credential";
  const state = report.valid
    ? `JWT valid for ${
      formatDuration((report.seconds_left ?? 0) * 1000)
    }, expires at ${report.expires_at}`
    : `no valid JWT${report.last_error ? `: ${report.last_error}` : ""}`;
  return `- ${report.regions.join(", ")} via ${report.auth_url} (${credential}): ${state}`;
}
