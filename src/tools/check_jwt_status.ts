/**
 * `check_jwt_status()`: whether the server can authenticate, and until when.
 * Never shows the token or the cookie.
 *
 * @module
 */

import type { McpServer } from "../mcp_sdk.ts";
import { z } from "zod";
import type { TokenStatus } from "../auth.ts";
import type { ToolDeps } from "./deps.ts";

const outputSchema = z.object({
  configured: z.boolean().describe("Whether CAS_SESSION is set (always true in demo mode)"),
  valid: z.boolean().describe("Whether the server holds an unexpired JWT"),
  expires_at: z.string().optional().describe("ISO 8601 expiry of the JWT"),
  renews_at: z.string().optional().describe("When the JWT is renewed, ahead of its expiry"),
  seconds_left: z.number().int().optional(),
  auto_refresh: z.boolean().describe("The JWT is renewed automatically before it expires"),
  auth_url: z.string(),
  last_refresh_at: z.string().optional(),
  last_error: z.string().optional(),
  demo: z.boolean(),
  message: z.string(),
});

/** Registers `check_jwt_status` on `server`. */
export function registerCheckJwtStatus(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    "check_jwt_status",
    {
      title: "Check JWT status",
      description:
        "Check whether the server can authenticate to the registry: whether CAS_SESSION is set, " +
        "whether the JWT is valid and when it expires. Obtains a JWT first if the server has none. " +
        "Use it when searches fail with authentication errors.",
      outputSchema: outputSchema.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ signal }) => {
      const { tokens, authUrl, demo } = deps;
      // A failure is recorded in the status; the tool reports it rather than failing.
      await tokens.getToken({ signal }).catch(() => {});
      const status = tokens.status();
      const message = describeStatus(status);
      return {
        content: [{ type: "text", text: formatStatusText(status, message, authUrl) }],
        structuredContent: {
          configured: status.configured,
          valid: status.valid,
          expires_at: status.expiresAt?.toISOString(),
          renews_at: status.renewsAt?.toISOString(),
          seconds_left: status.secondsLeft,
          auto_refresh: status.configured,
          auth_url: authUrl,
          last_refresh_at: status.lastRefreshAt?.toISOString(),
          last_error: status.lastError,
          demo,
          message,
        },
      };
    },
  );
}

function describeStatus(status: TokenStatus): string {
  if (status.valid && status.lastError === undefined) {
    return `The JWT is valid for ${
      formatDuration(status.secondsLeft ?? 0)
    } and is renewed automatically.`;
  }
  if (status.valid) {
    return `The JWT is valid for ${
      formatDuration(status.secondsLeft ?? 0)
    }, but the last renewal failed: ${status.lastError}`;
  }
  return status.lastError ?? "No JWT yet: it is obtained on the first search.";
}

function formatStatusText(status: TokenStatus, message: string, authUrl: string): string {
  return [
    message,
    `CAS_SESSION configured: ${status.configured ? "yes" : "no"}`,
    `JWT valid: ${status.valid ? "yes" : "no"}`,
    ...(status.expiresAt ? [`Expires at: ${status.expiresAt.toISOString()}`] : []),
    status.configured
      ? `Auto-refresh: yes${status.renewsAt ? ` (renews at ${status.renewsAt.toISOString()})` : ""}`
      : "Auto-refresh: no (no CAS_SESSION)",
    `Auth endpoint: ${authUrl}`,
  ].join("\n");
}

function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes >= 1 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}
