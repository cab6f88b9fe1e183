/**
 * How the tools that report credentials (`check_jwt_status`,
 * `list_available_regions`) name a credential's kind: the same field, values
 * and words in both.
 *
 * @module
 */

import { z } from "zod";
import type { CredentialKind } from "../config/mod.ts";

/** The `credential_kind` field of a tool's structured content. */
export const credentialKindSchema: z.ZodOptional<
  z.ZodEnum<{ cookie: "cookie"; service_account: "service_account" }>
> = z.enum(["cookie", "service_account"]).optional();

/** The `credential_kind` value of a credential, if there is one. */
export function credentialKindOf(
  credential: { readonly kind: CredentialKind } | undefined,
): "cookie" | "service_account" | undefined {
  if (!credential) return undefined;
  return credential.kind === "cas_session" ? "cookie" : "service_account";
}

/** "cookie" or "service account", as a sentence names a `credential_kind`. */
export function credentialKindWords(kind: "cookie" | "service_account" | undefined): string {
  return kind === "cookie" ? "cookie" : "service account";
}
