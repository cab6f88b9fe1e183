/**
 * `deno task ok` runs this: every file of `.github/workflows/` must be a valid
 * GitHub Actions workflow (the schema check of action-validator, run from its
 * WebAssembly build). Prints each problem with its place; exits 1 if any.
 *
 * @module
 */

// Pinned here and locked in deno.lock; not in deno.json's imports, which hold what the server runs.
import { validateWorkflow } from "npm:@action-validator/core@0.6.0";

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

async function main(): Promise<number> {
  let failed = 0;
  for await (const entry of Deno.readDir(WORKFLOWS)) {
    if (!entry.isFile || !/\.ya?ml$/.test(entry.name)) continue;
    const problems = workflowProblems(await Deno.readTextFile(new URL(entry.name, WORKFLOWS)));
    for (const problem of problems) console.error(`.github/workflows/${entry.name}: ${problem}`);
    if (problems.length > 0) failed++;
  }
  if (failed > 0) {
    console.error(`check_workflows: ${failed} invalid workflow(s): fix the places named above`);
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
