/**
 * Writes `src/stdio_front/answers.json`: what a live server answers to
 * `initialize` and `tools/list`, which the stdio front gives while the
 * server loads. Run by `deno task generate` (and `deno task snapshot`).
 *
 * @module
 */

import { parseCommand } from "../src/config/mod.ts";
import { recordAnswers } from "../src/stdio_front/record.ts";

/** Where the stdio front's answers are kept. */
export const ANSWERS_FILE = new URL("../src/stdio_front/answers.json", import.meta.url);

if (import.meta.main) {
  const command = parseCommand(["--demo", "--stdio"], {});
  if (command.kind !== "serve") throw new Error("Expected a serve command: check parseCommand");
  const answers = await recordAnswers(command.config);
  await Deno.writeTextFile(ANSWERS_FILE, `${JSON.stringify(answers, null, 2)}\n`);
  console.error(`Wrote ${ANSWERS_FILE.pathname}`);
}
