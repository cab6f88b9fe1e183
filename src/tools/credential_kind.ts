/**
 * How `check_jwt_status` and `list_available_regions` alike name a credential's kind.
 * @module
 */

import { z } from "zod";
import type { CredentialKind } from "../config/mod.ts";

export const credentialKindSchema = z.enum(["cookie", "service_account"]).optional();

export function credentialKindOf(
  credential: { readonly kind: CredentialKind } | undefined,
): z.infer<typeof credentialKindSchema> {
  return credential && (credential.kind === "cas_session" ? "cookie" : "service_account");
}

export function credentialFrom(kind: z.infer<typeof credentialKindSchema>, source: string): string {
  return `${kind === "cookie" ? "cookie" : "service account"} from ${source}`;
}
