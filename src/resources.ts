/** The resource template `psm://{psm}`: one service's details as JSON.
 * @module */

import { type McpServer, ResourceTemplate } from "./mcp_sdk.ts";
import type { SessionDependencies } from "./tools/deps.ts";
import { keywordSchema, summarize, toStructured } from "./tools/search_result.ts";

export const RESOURCE_NOT_FOUND = -32002;

/** Unlike the SDK's `McpError`, its message has no `MCP error CODE:` prefix: the client adds
 * that itself, so it is said once. */
export class ResourceReadError extends Error {
  override name = "ResourceReadError";
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

// Completion reads memory only: asking the registry would cost a search per keystroke.
const MAX_LISTED = 100;

export function registerPsmResource(server: McpServer, deps: SessionDependencies): void {
  const { discovery, recentPsms } = deps;
  const template = new ResourceTemplate("psm://{psm}", {
    list: () => ({
      resources: recentPsms.list().slice(0, MAX_LISTED).map((psm) => ({
        uri: `psm://${psm}`,
        name: psm,
        mimeType: "application/json",
      })),
    }),
    complete: { psm: (value) => recentPsms.complete(value) },
  });
  server.registerResource(
    "psm",
    template,
    {
      title: "PSM service",
      description:
        "One service (PSM) from the Neptune registry of every region, as JSON: owners, framework, level, regions",
      mimeType: "application/json",
    },
    async (uri, variables, { signal }) => {
      // The tools' bounds on a keyword hold here too: length, and no control character.
      const parsed = keywordSchema.safeParse([variables.psm].flat()[0] ?? "");
      if (!parsed.success) {
        throw new ResourceReadError(
          RESOURCE_NOT_FOUND,
          parsed.error.issues[0]?.code === "too_small"
            ? "The resource URI names no PSM: use psm://product.subsystem.module, such as psm://oec.affiliate.monitor"
            : parsed.error.issues[0]?.message ?? "The resource URI names no valid PSM",
        );
      }
      const psm = parsed.data;
      // A resource describes the whole service: every region it is in, not the first to answer.
      const result = await discovery.search(psm, { signal, waitAllRegions: true });
      const structured = toStructured(result);
      if (result.status === "found") {
        const text = JSON.stringify(structured.services[0], null, 2);
        return { contents: [{ uri: uri.href, mimeType: "application/json", text }] };
      }
      const closest = structured.suggestions ?? structured.services.map((service) => service.psm);
      const hint = result.status === "candidates" && closest.length > 0
        ? ` Read one of psm://${closest.slice(0, 3).join(", psm://")}`
        : "";
      throw new ResourceReadError(
        result.status === "failed" ? -32603 : RESOURCE_NOT_FOUND,
        `${summarize(result)}${hint}`,
      );
    },
  );
}
