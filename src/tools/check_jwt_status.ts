/** `check_jwt_status()`: never shows a token, a cookie or a secret, only the variable it came from.
 * @module */

import { z } from "zod";
import type { AuthSource } from "../auth_sources.ts";
import { formatDuration, isoTime } from "../wording.ts";
import type { CredentialKind } from "../config/mod.ts";
import type { Dependencies, ToolRegistry } from "./deps.ts";

// How this tool and list_available_regions alike name a credential's kind.
export const credentialKindSchema = z.enum(["cookie", "service_account"]).optional();

export function credentialKindOf(
  credential: { readonly kind: CredentialKind } | undefined,
): z.infer<typeof credentialKindSchema> {
  return credential && (credential.kind === "cas_session" ? "cookie" : "service_account");
}

export function credentialFrom(kind: z.infer<typeof credentialKindSchema>, source: string): string {
  return `${kind === "cookie" ? "cookie" : "service account"} from ${source}`;
}

const tokenSchema = z.object({
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
});

const sourceSchema = z.object({
  auth_url: z.string(),
  regions: z.array(z.string()).describe("The regions whose searches use this source's JWT"),
  credential_kind: credentialKindSchema,
  credential_source: z.string().optional().describe(
    "The environment variable the credential comes from; its value is never shown",
  ),
  ...tokenSchema.shape,
});

const outputSchema = z.object({
  ...tokenSchema.shape,
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
      // A failure is recorded in the status, which the tool reports.
      await Promise.all(
        auth.sources.map((source) => source.tokens.getToken({ signal }).catch(() => {})),
      );
      const reports = auth.sources.map(reportSource);
      const [only] = reports.length === 1 ? reports : [];
      const message = (demo ? DEMO_NOTE : "") +
        (only ? describeStatus(only) : describeAllSources(reports));
      const text = only
        ? formatStatusText(only, message, { authUrl, demo })
        : [message, ...reports.map(formatSource)].join("\n");
      // Parsing keeps the token's fields alone.
      const overall = only ? tokenSchema.parse(only) : weakest(reports);
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
  const status = source.tokens.status();
  return {
    auth_url: source.authUrl,
    regions: [...source.regions],
    credential_kind: credentialKindOf(source.credential),
    credential_source: source.credential?.source,
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

function weakest(reports: readonly SourceReport[]) {
  const first = (key: "expires_at" | "renews_at") =>
    reports.map((r) => r[key]).filter((v) => v !== undefined).sort()[0];
  const joined = (key: "last_error" | "warning") => {
    const all = reports.flatMap((r) => r[key] ? [`${r.regions.join(", ")}: ${r[key]}`] : []);
    return all.length > 0 ? all.join("; ") : undefined;
  };
  const lefts = reports.flatMap((r) => r.seconds_left ?? []);
  return {
    configured: reports.every((r) => r.configured),
    valid: reports.every((r) => r.valid),
    expires_at: first("expires_at"),
    renews_at: first("renews_at"),
    seconds_left: lefts.length > 0 ? Math.min(...lefts) : undefined,
    last_error: joined("last_error"),
    warning: joined("warning"),
  };
}

const DEMO_NOTE =
  "Demo mode: the JWT comes from the built-in demo auth service and CAS_SESSION is not used. ";

function describeStatus(report: SourceReport): string {
  const left = formatDuration((report.seconds_left ?? 0) * 1000);
  if (report.valid && report.last_error === undefined) {
    const warning = report.warning ? ` Warning: ${report.warning}.` : "";
    return `The JWT is valid for ${left} and is renewed automatically.${warning}`;
  }
  if (report.valid) {
    return `The JWT is valid for ${left}, but the last renewal failed: ${report.last_error}`;
  }
  return report.last_error ?? "No JWT yet: it is obtained on the first search.";
}

function describeAllSources(reports: readonly SourceReport[]): string {
  const failing = reports.filter((r) => !r.valid || r.last_error !== undefined);
  if (failing.length === 0) {
    return `All ${reports.length} auth sources hold a valid JWT, renewed automatically.`;
  }
  const problems = failing.map((r) =>
    `${r.regions.join(", ")}: ${r.last_error ?? "no JWT yet, it is obtained on the first search"}`
  );
  const valid = reports.length - failing.length;
  return `${valid} of ${reports.length} auth sources hold a valid JWT. ${problems.join("; ")}`;
}

function formatStatusText(
  report: SourceReport,
  message: string,
  { authUrl, demo }: { authUrl: string; demo: boolean },
): string {
  const { configured, valid, expires_at, renews_at } = report;
  return [
    message,
    demo
      ? "Mode: demo (built-in sample catalogue; CAS_SESSION is not used)"
      : `CAS_SESSION configured: ${configured ? "yes" : "no"}`,
    `JWT valid: ${valid ? "yes" : "no"}`,
    ...(expires_at ? [`Expires at: ${expires_at}`] : []),
    configured
      ? `Auto-refresh: yes${renews_at ? ` (renews at ${renews_at})` : ""}`
      : "Auto-refresh: no (no CAS_SESSION)",
    `Auth endpoint: ${authUrl}${demo ? " (answered in-process in demo mode)" : ""}`,
  ].join("\n");
}

function formatSource(report: SourceReport): string {
  const credential = report.credential_source
    ? credentialFrom(report.credential_kind, report.credential_source)
    : "no credential";
  const left = formatDuration((report.seconds_left ?? 0) * 1000);
  const state = report.valid
    ? `JWT valid for ${left}, expires at ${report.expires_at}`
    : `no valid JWT${report.last_error ? `: ${report.last_error}` : ""}`;
  return `- ${report.regions.join(", ")} via ${report.auth_url} (${credential}): ${state}`;
}
