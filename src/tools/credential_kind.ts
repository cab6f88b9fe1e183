/**
 * How `check_jwt_status` and `list_available_regions` name a credential's kind: the same
 * field, values and words in both.
 * @module
 */

import { z } from "zod";
import type { CredentialKind } from "../config/mod.ts";

/** The `credential_kind` field of a tool's structured content. */
export const credentialKindSchema = z.enum(["cookie", "service_account"]).optional();

/** The `credential_kind` value of a credential, if there is one. */
export function credentialKindOf(
  credential: { readonly kind: CredentialKind } | undefined,
): z.infer<typeof credentialKindSchema> {
  return credential && (credential.kind === "cas_session" ? "cookie" : "service_account");
}

/** Returns `cookie from CAS_SESSION` or `service account from ...`. */
export function credentialFrom(kind: z.infer<typeof credentialKindSchema>, source: string): string {
  return `${kind === "cookie" ? "cookie" : "service account"} from ${source}`;
}
