/**
 * `deno run --allow-read scripts/release_notes.ts TAG`: prints the release
 * notes of TAG (such as `v0.2.0`), its section of CHANGELOG.md, and fails
 * when TAG is not `v` plus deno.json's version or the changelog has no
 * section for it. The release workflow runs it before building anything.
 *
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };

/** A tag or changelog that a release cannot be made from; the message says what to fix. */
export class ReleaseError extends Error {
  override name = "ReleaseError";
}

/**
 * Returns the version a release tag names, such as `0.2.0` for `v0.2.0`.
 *
 * @throws {ReleaseError} when the tag is not `v` plus `version` (deno.json's).
 */
export function versionOfTag(tag: string, version: string): string {
  if (tag !== `v${version}`) {
    throw new ReleaseError(
      `Tag ${tag} does not match deno.json's version ${version}: tag v${version}, or set "version" in deno.json and tag again`,
    );
  }
  return version;
}

/**
 * Returns the body of `version`'s section of a Keep a Changelog text, without its heading.
 *
 * @throws {ReleaseError} when there is no such section, or it is empty.
 */
export function changelogSection(changelog: string, version: string): string {
  const lines = changelog.split(/\r?\n/);
  const heading = new RegExp(`^## \\[${version.replaceAll(".", "\\.")}\\]`);
  const start = lines.findIndex((line) => heading.test(line));
  const end = lines.findIndex((line, i) => i > start && /^## /.test(line));
  const body = start < 0 ? "" : lines.slice(start + 1, end < 0 ? undefined : end).join("\n").trim();
  if (!body) {
    throw new ReleaseError(
      `CHANGELOG.md has no section "## [${version}] - <date>": move what [Unreleased] lists into one`,
    );
  }
  return body;
}

async function main(args: readonly string[]): Promise<number> {
  const [tag] = args;
  if (!tag) {
    console.error("release_notes: give the tag, such as v0.2.0");
    return 2;
  }
  try {
    const version = versionOfTag(tag, denoConfig.version);
    const changelog = await Deno.readTextFile(new URL("../CHANGELOG.md", import.meta.url));
    console.log(changelogSection(changelog, version));
  } catch (error) {
    if (!(error instanceof ReleaseError)) throw error;
    console.error(`release_notes: ${error.message}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
