import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };
import { changelogSection, ReleaseError, versionOfTag } from "../scripts/release_notes.ts";

const CHANGELOG = new URL("../CHANGELOG.md", import.meta.url);

Deno.test("a release tag must be v plus deno.json's version", () => {
  assert.equal(versionOfTag("v0.2.0", "0.2.0"), "0.2.0");
  for (const tag of ["v0.2.1", "0.2.0", "v0.2.0-rc1"]) {
    assert.throws(() => versionOfTag(tag, "0.2.0"), (error: Error) => {
      assert.ok(error instanceof ReleaseError);
      assert.match(
        error.message,
        new RegExp(`^Tag ${tag} does not match deno.json's version 0\\.2\\.0`),
      );
      return true;
    });
  }
});

Deno.test("the release notes are the tag's section of the changelog, up to the next version", () => {
  const text =
    "# Changelog\r\n\r\n## [Unreleased]\n\n- soon\n\n## [1.10.0] - 2026-01-02\n\n### Added\n\n- b\n\n## [1.1.0] - 2026-01-01\n\n- a\n";
  assert.equal(changelogSection(text, "1.10.0"), "### Added\n\n- b");
  assert.equal(changelogSection(text, "1.1.0"), "- a");
  assert.throws(() => changelogSection(text, "1.0.0"), ReleaseError);
  assert.throws(
    () => changelogSection("## [2.0.0] - 2026-01-03\n\n## [1.0.0]\n", "2.0.0"),
    ReleaseError,
  );
});

Deno.test("CHANGELOG.md has a section for deno.json's version, and an Unreleased one", async () => {
  const changelog = await Deno.readTextFile(CHANGELOG);
  assert.match(changelogSection(changelog, denoConfig.version), /### Added/);
  assert.match(changelog, /^## \[Unreleased\]$/m);
});
