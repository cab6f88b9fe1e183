/**
 * The repository stands alone: no file points at a place a clone does not
 * have (a developer's machine, the issue tracker, notes kept elsewhere).
 *
 * @module
 */

import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };
import { ALLOWED_ENV } from "../src/permissions.ts";

const ROOT = new URL("../", import.meta.url);
const SKIPPED = new Set([".git", ".coverage", "dist", "node_modules", "testdata", "deno.lock"]);
const TEXT = /\.(ts|md|json|sh|ps1|yml|yaml)$|^run$|^\.gitignore$|^Dockerfile$/;
const THIS_FILE = "tests/repository_test.ts";

// Places outside the repository that notes and comments have named before.
const OUTSIDE = [
  /\/work\//,
  /\bshared\/[\w-]+\.md\b/,
  /upstream-contract\.md/,
  /toolchain-notes/,
  /\bBRIEF\.md\b/,
  /\bissues? #?\d+\b/i,
  /\bissues show\b/,
];

function* textFiles(dir: URL, prefix = ""): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    if (SKIPPED.has(entry.name)) continue;
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) yield* textFiles(new URL(`${entry.name}/`, dir), `${path}/`);
    else if (entry.isFile && TEXT.test(entry.name)) yield path;
  }
}

Deno.test("no file refers to a place outside the repository", () => {
  const found: string[] = [];
  for (const path of textFiles(ROOT)) {
    if (path === THIS_FILE) continue;
    const lines = Deno.readTextFileSync(new URL(path, ROOT)).split("\n");
    lines.forEach((line, i) => {
      const pattern = OUTSIDE.find((outside) => outside.test(line));
      if (pattern) found.push(`${path}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(
    found,
    [],
    "Say it here, or link to docs/ (docs/upstream.md for the upstream APIs)",
  );
});

Deno.test("every relative link of a Markdown file points at a file of the repository", () => {
  const missing: string[] = [];
  for (const path of textFiles(ROOT)) {
    if (!path.endsWith(".md")) continue;
    const base = new URL(path, ROOT);
    for (const [, target] of Deno.readTextFileSync(base).matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      try {
        Deno.statSync(new URL(target!, base));
      } catch {
        missing.push(`${path} -> ${target}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("every source path a Markdown file names exists", () => {
  const missing: string[] = [];
  for (const path of textFiles(ROOT)) {
    if (!path.endsWith(".md")) continue;
    const text = Deno.readTextFileSync(new URL(path, ROOT));
    for (const [named] of text.matchAll(/\b(?:src|tests|scripts|bench|docs)\/[\w/.-]*\w/g)) {
      if (named.includes("*")) continue;
      try {
        Deno.statSync(new URL(named, ROOT));
      } catch {
        missing.push(`${path}: ${named}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

// Names joined by commas, quoted or not, as in `--allow-env=A,B` or `["A", "B"]`.
const NAME_LIST = /["']?[A-Z][A-Z0-9_]*\*?["']?(?:\s*,\s*["']?[A-Z][A-Z0-9_]*\*?["']?)+/g;
// Prose names a few variables together ("HTTPS_PROXY, HTTP_PROXY, NO_PROXY"); a copy names more.
const COPY_LENGTH = 5;

function listsOfAllowedEnv(text: string): string[] {
  return [...text.matchAll(NAME_LIST)].map((m) => m[0]).filter((list) =>
    list.split(",").map((name) => name.trim().replace(/^["']|["']$/g, ""))
      .filter((name) => ALLOWED_ENV.includes(name)).length >= COPY_LENGTH
  );
}

Deno.test("the --allow-env list is written once, in deno.json's start task", () => {
  assert.ok(ALLOWED_ENV.length >= COPY_LENGTH, "the start task's --allow-env list was not found");
  const copies: string[] = [];
  for (const path of textFiles(ROOT)) {
    if (path === "deno.json") continue;
    const text = Deno.readTextFileSync(new URL(path, ROOT));
    copies.push(...listsOfAllowedEnv(text).map((list) => `${path}: ${list.slice(0, 60)}…`));
  }
  for (const [name, task] of Object.entries(denoConfig.tasks)) {
    if (name === "start") continue;
    copies.push(...listsOfAllowedEnv(task.command).map(() => `deno.json: the ${name} task`));
  }
  assert.deepEqual(
    copies,
    [],
    "Read the list from src/permissions.ts (or deno.json's start task) instead of copying it",
  );
});
