/** The prompt `find_psm(keyword)`: asks the model to look a service up with the search tools.
 * @module */

import { completable, type McpServer } from "./mcp_sdk.ts";
import type { SessionDependencies } from "./tools/deps.ts";
import { keywordSchema } from "./tools/search_result.ts";

export function registerFindPsmPrompt(server: McpServer, { recentPsms }: SessionDependencies) {
  // `completable` marks the schema object it is given: a fresh one per server, never the
  // shared keywordSchema itself.
  const keyword = completable(
    keywordSchema.describe("A PSM such as oec.affiliate.monitor, or part of one"),
    (value: string) => recentPsms.complete(value),
  );
  server.registerPrompt(
    "find_psm",
    {
      title: "Find a PSM service",
      description:
        "Look a service (PSM) up in every region and summarize its owners, level, framework and regions",
      argsSchema: { keyword },
    },
    ({ keyword }) => ({
      messages: [{
        role: "user",
        content: {
          type: "text",
          text: `Look up the service "${keyword}" with the search_psm_service tool. ` +
            "Summarize its owners, level, framework, deployment platform and the regions it is deployed in. " +
            "If there is no exact match, list the closest PSMs and any suggested spelling.",
        },
      }],
    }),
  );
}
