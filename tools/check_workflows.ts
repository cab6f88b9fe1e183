/**
 * `deno task ok` runs this: every file of `.github/workflows/` must be a valid
 * GitHub Actions workflow (the schema check of action-validator, run from its
 * WebAssembly build). Prints each problem with its place; exits 1 if any.
 * With `--stdin`, checks the workflows sent on stdin instead (see `files.ts`).
 *
 *   deno task workflows
 *
 * @module
 */

// Pinned here and locked in tools/tools.lock: deno.json's imports and deno.lock hold only what
// the server runs, so that its first start downloads nothing else.
import { validateWorkflow } from "npm:@action-validator/core@0.6.0";
import { filesToCheck } from "./files.ts";

const WORKFLOWS = new URL("../.github/workflows/", import.meta.url);

/** A problem action-validator found, as much of it as this script prints. */
interface ValidationError {
  readonly path?: string;
  readonly title?: string;
  readonly detail?: string;
  readonly states?: readonly { readonly errors: readonly ValidationError[] }[];
}

/** Returns one line per problem of a workflow's YAML text; none when it is valid. */
export function workflowProblems(yaml: string): string[] {
  const { errors } = validateWorkflow(yaml) as { errors: ValidationError[] };
  return errors.map(describe);
}

function describe(error: ValidationError): string {
  // A oneOf failure lists what each alternative lacked: the details say what to fix.
  const details = [
    error.detail,
    ...(error.states ?? []).flatMap((state) => state.errors)
      .map((inner) => inner.detail),
  ].filter((detail) => detail !== undefined);
  return `${error.path || "/"}: ${error.title ?? "invalid"}${
    details.length > 0 ? ` (${[...new Set(details)].join("; ")})` : ""
  }`;
}

async function main(args: readonly string[]): Promise<number> {
  let failed = 0;
  for (const { name, text } of await filesToCheck(WORKFLOWS, args)) {
    const problems = workflowProblems(text);
    for (const problem of problems) console.error(`.github/workflows/${name}: ${problem}`);
    if (problems.length > 0) failed++;
  }
  if (failed > 0) {
    console.error(`check_workflows: ${failed} invalid workflow(s): fix the places named above`);
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
