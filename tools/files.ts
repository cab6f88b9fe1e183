/**
 * The files a dev tool checks: the YAML files of a folder, or, with
 * `--stdin`, files sent as JSON on stdin (how the tests check altered copies
 * without writing them anywhere).
 *
 * @module
 */

/** A file's name and its text. */
export interface NamedText {
  readonly name: string;
  readonly text: string;
}

/** Stdin did not hold the files a tool was asked to read from it. */
export class StdinFilesError extends Error {
  override name = "StdinFilesError";
}

/**
 * Returns the files to check: with `--stdin` in `args`, the JSON array of `{ name, text }` read
 * from stdin; else the `.yaml` and `.yml` files of `folder`, sorted by name.
 */
export async function filesToCheck(folder: URL, args: readonly string[]): Promise<NamedText[]> {
  if (args.includes("--stdin")) return parseFiles(await new Response(Deno.stdin.readable).text());
  const files: NamedText[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (!entry.isFile || !/\.ya?ml$/.test(entry.name)) continue;
    files.push({ name: entry.name, text: await Deno.readTextFile(new URL(entry.name, folder)) });
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

function parseFiles(json: string): NamedText[] {
  let files: unknown;
  try {
    files = JSON.parse(json);
  } catch (cause) {
    throw new StdinFilesError("Stdin is not JSON: send an array of {name, text}", { cause });
  }
  if (!Array.isArray(files) || !files.every(isNamedText)) {
    throw new StdinFilesError("Stdin is not an array of {name, text}: send one object per file");
  }
  return files;
}

function isNamedText(value: unknown): value is NamedText {
  if (typeof value !== "object" || value === null) return false;
  const { name, text } = value as Record<string, unknown>;
  return typeof name === "string" && typeof text === "string";
}
