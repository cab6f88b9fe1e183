/**
 * README.md as a newcomer uses it: every JSON snippet parses, every client
 * config that starts this server does start it (an MCP `initialize` over
 * stdio answers), every HTTP config points at the default endpoint, every
 * link to a section lands on one, and README.zh-CN.md has the same sections
 * and the same commands.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { demoFetchFor, INITIALIZE_REQUEST, testConfig, textOf, withConnection } from "./harness.ts";
import { cleanEnv } from "./server_process.ts";
import { USAGE } from "../src/config/mod.ts";
import { PERMISSION_FLAGS } from "../src/permissions.ts";

const ENGLISH = "README.md";
const CHINESE = "README.zh-CN.md";
const MAIN = new URL("../main.ts", import.meta.url).href;
const DENO_JSON = fileURLToPath(new URL("../deno.json", import.meta.url));
// The root of the file system: a directory where no deno.json of this checkout is found by itself.
const ELSEWHERE = new URL("/", import.meta.url);
const START_TASK = ["task", "--config", "/path/to/byted-live-promotion/deno.json", "start"];
const HTTP_URL = "http://localhost:8123/mcp";
const BINARY = /(^|[/\\])byted-live-promotion(\.exe)?$/;

function read(name: string): string {
  return Deno.readTextFileSync(new URL(`../${name}`, import.meta.url));
}

interface CodeBlock {
  readonly lang: string;
  readonly text: string;
  /** The heading the block is under, for test names. */
  readonly section: string;
}

/** The fenced code blocks of `markdown`, and its `##`/`###` headings (not those inside blocks). */
function parseMarkdown(markdown: string) {
  const blocks: CodeBlock[] = [];
  const headings: { level: number; text: string }[] = [];
  let open: { lang: string; lines: string[] } | undefined;
  let section = "";
  for (const line of markdown.split("\n")) {
    const fence = line.match(/^```(\S*)\s*$/);
    if (fence && !open) {
      open = { lang: fence[1]!, lines: [] };
    } else if (fence && open) {
      blocks.push({ lang: open.lang, text: open.lines.join("\n"), section });
      open = undefined;
    } else if (open) {
      open.lines.push(line);
    } else {
      const heading = line.match(/^(#{2,3}) (.+)$/);
      if (heading) {
        headings.push({ level: heading[1]!.length, text: heading[2]! });
        section = heading[2]!;
      }
    }
  }
  assert.equal(open, undefined, "A code block is not closed");
  return { blocks, headings };
}

/** What a client config asks for: a command line that should start this server, or a URL. */
type Launch =
  | {
    readonly kind: "stdio";
    readonly args: string[];
    readonly env: Record<string, string>;
    readonly cwd?: URL;
  }
  | { readonly kind: "url"; readonly url: string };

interface ServerEntry {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
  type?: string;
}

/** Every server entry of a config (Claude Desktop and Cursor: `mcpServers`; VS Code: `servers`). */
function serverEntries(config: unknown): ServerEntry[] {
  if (typeof config !== "object" || config === null) return [];
  const { mcpServers, servers } = config as Record<string, unknown>;
  return [mcpServers, servers].flatMap((group) =>
    typeof group === "object" && group !== null ? Object.values(group) as ServerEntry[] : []
  );
}

/**
 * The `deno` arguments that do what `command` and `args` would, in this
 * checkout: `npx -y deno` runs as the `deno` running the tests (npx would need
 * the network), the start task from another directory with this checkout's
 * `deno.json`, and the binary, which cannot be built here, as `main.ts` with
 * the start task's permissions, which is what the binary is.
 */
function launchOf(command: string, args: readonly string[], env: Record<string, string>): Launch {
  if (command === "npx" && args[1] === "mcp-remote") return { kind: "url", url: args.at(-1)! };
  if (BINARY.test(command)) {
    return { kind: "stdio", args: ["run", ...PERMISSION_FLAGS, MAIN, ...args], env };
  }
  let denoArgs: readonly string[];
  if (command === "deno") denoArgs = args;
  else if (command === "npx" && args[0] === "-y" && args[1] === "deno") denoArgs = args.slice(2);
  else {throw new Error(
      `A config runs "${command} ${args.join(" ")}", which the test does not know`,
    );}
  assert.deepEqual(
    denoArgs.slice(0, START_TASK.length),
    START_TASK,
    `"${command} ${args.join(" ")}" should run ${
      START_TASK.join(" ")
    }, so that no one copies the permission flags`,
  );
  const rest = denoArgs.slice(START_TASK.length);
  return {
    kind: "stdio",
    args: ["task", "--config", DENO_JSON, "start", ...rest],
    env,
    cwd: ELSEWHERE,
  };
}

function launchOfEntry(entry: ServerEntry): Launch {
  if (entry.url !== undefined) return { kind: "url", url: entry.url };
  assert.ok(entry.command, `A server entry has neither command nor url: ${JSON.stringify(entry)}`);
  return launchOf(entry.command, entry.args ?? [], entry.env ?? {});
}

// `claude mcp add`'s options that take one value, and those that take every word up to the next
// option (so a server name right after them is read as one more value).
const CLAUDE_OPTIONS = new Set(["--transport", "-t", "--scope", "-s", "--client-id"]);
const CLAUDE_VARIADIC = new Set(["--env", "-e", "--header", "-H"]);

/** The positional arguments `claude mcp add` sees before `--`: the name, then the URL if any. */
function claudeAddPositionals(words: readonly string[]): string[] {
  const positionals: string[] = [];
  let variadic = false;
  for (let i = 3; i < words.length && words[i] !== "--"; i++) {
    const word = words[i];
    if (CLAUDE_VARIADIC.has(word!)) variadic = true;
    else if (CLAUDE_OPTIONS.has(word!)) [variadic, i] = [false, i + 1];
    else if (word!.startsWith("-")) variadic = false;
    else if (!variadic) positionals.push(word!);
  }
  return positionals;
}

/** A `claude mcp add` line as the shell splits it (single quotes only, as the README uses). */
function shellWords(line: string): string[] {
  return [...line.trim().matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[0]);
}

/** `claude mcp add [options] NAME -- COMMAND ARGS...` or `claude mcp add --transport http NAME URL`. */
function launchOfClaudeAdd(line: string): Launch {
  const words = shellWords(line);
  const separator = words.indexOf("--");
  if (separator < 0) return { kind: "url", url: claudeAddPositionals(words)[1]! };
  const env: Record<string, string> = {};
  words.slice(0, separator).forEach((word, i, options) => {
    if (word === "--env" || word === "-e") {
      const [name, ...value] = options[i + 1]!.split("=");
      env[name!] = value.join("=");
    }
  });
  return launchOf((words[separator + 1])!, words.slice(separator + 2), env);
}

/** Starts `deno args --demo` as a desktop client would and returns its answer to `initialize`. */
async function initializeOverStdio(launch: Launch & { kind: "stdio" }): Promise<unknown> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...launch.args, "--demo"],
    cwd: launch.cwd,
    env: cleanEnv(launch.env),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(INITIALIZE_REQUEST) + "\n"));
    let line = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      line += chunk;
      if (line.includes("\n")) break;
    }
    await writer.close();
    const { code } = await child.status;
    assert.ok(line.includes("\n"), `No answer on stdout; exit ${code}; stderr:\n${await stderr}`);
    return JSON.parse(line.slice(0, line.indexOf("\n")));
  } finally {
    clearTimeout(killer);
    await stderr;
  }
}

function assertUrl(launch: Launch & { kind: "url" }) {
  assert.equal(launch.url, HTTP_URL, "An HTTP config must point at the default endpoint");
}

const readme = parseMarkdown(read(ENGLISH));
const launches: { name: string; launch: Launch }[] = [];
const counts = new Map<string, number>();
function named(section: string) {
  const n = (counts.get(section) ?? 0) + 1;
  counts.set(section, n);
  return `${section} #${n}`;
}
for (const block of readme.blocks) {
  if (block.lang === "json") {
    for (const entry of serverEntries(JSON.parse(block.text))) {
      launches.push({ name: named(block.section), launch: launchOfEntry(entry) });
    }
  }
  if (block.lang === "sh") {
    for (const line of block.text.split("\n").filter((l) => l.startsWith("claude mcp add"))) {
      if (line.includes("--transport sse")) continue;
      launches.push({ name: named(block.section), launch: launchOfClaudeAdd(line) });
    }
  }
}

Deno.test("every JSON snippet of both READMEs is valid JSON", () => {
  for (const name of [ENGLISH, CHINESE]) {
    for (const block of parseMarkdown(read(name)).blocks.filter((b) => b.lang === "json")) {
      assert.doesNotThrow(() => JSON.parse(block.text), `${name}, ${block.section}`);
    }
  }
});

Deno.test("the README gives a stdio and an HTTP config for every client it names", () => {
  const kinds = (section: string) =>
    launches.filter((l) => l.name.startsWith(`${section} #`)).map((l) => l.launch.kind);
  assert.deepEqual(kinds("Claude Desktop"), ["stdio", "stdio", "stdio", "stdio", "url"]);
  for (const client of ["Claude Code", "Cursor", "VS Code"]) {
    assert.deepEqual(kinds(client), ["stdio", "url"], client);
  }
});

for (const { name, launch } of launches) {
  if (launch.kind === "url") {
    Deno.test(`the README's ${name} config points at ${HTTP_URL}`, () => assertUrl(launch));
    continue;
  }
  Deno.test(`the README's ${name} config starts the server, which answers initialize over stdio`, async () => {
    const answer = await initializeOverStdio(launch) as {
      result?: { serverInfo?: { name?: string } };
    };
    assert.equal(answer.result?.serverInfo?.name, "byted-live-promotion");
  });
}

Deno.test("the README's Claude Desktop configs start the binary by its full path on macOS and on Windows", () => {
  const commands = readme.blocks.filter((b) => b.lang === "json" && b.section === "Claude Desktop")
    .flatMap((b) => serverEntries(JSON.parse(b.text))).flatMap((entry) => entry.command ?? [])
    .filter((command) => BINARY.test(command));
  assert.deepEqual(commands.map((command) => /^\/Users\/[^/]+\//.test(command)), [true, false]);
  assert.match(commands[1]!, /^C:\\Users\\[^\\]+\\.*\\byted-live-promotion\.exe$/);
  const text = read(ENGLISH);
  assert.ok(text.includes("%APPDATA%\\Claude\\claude_desktop_config.json"));
  assert.ok(text.includes("~/Library/Application Support/Claude/claude_desktop_config.json"));
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").trim().replace(/\s/g, "-");
}

Deno.test("every link to a section of a README lands on a heading of that README", () => {
  for (const name of [ENGLISH, CHINESE]) {
    const markdown = read(name);
    const anchors = new Set(
      [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)),
    );
    for (const [, anchor] of markdown.matchAll(/\]\(#([^)]+)\)/g)) {
      assert.ok(anchors.has(anchor!), `${name} links to #${anchor}, which no heading has`);
    }
  }
});

/** The commands of an `sh` block: comments (which are translated) and blank lines dropped. */
function commandsOf(block: CodeBlock): string[] {
  return block.text.split("\n").map((line) => line.replace(/(^|\s)#.*$/, "").trimEnd())
    .filter((line) => line.trim() !== "");
}

const chinese = parseMarkdown(read(CHINESE));

Deno.test("README.zh-CN.md has the README's sections, in the same order and at the same levels", () => {
  const codeSpans = (text: string) => text.match(/`[^`]+`/g) ?? [];
  assert.deepEqual(
    chinese.headings.map((h) => h.level),
    readme.headings.map((h) => h.level),
    `Sections differ:\n${readme.headings.map((h) => h.text).join("\n")}`,
  );
  readme.headings.forEach((heading, i) => {
    assert.deepEqual(codeSpans(chinese.headings[i]!.text), codeSpans(heading.text), heading.text);
  });
});

Deno.test("README.zh-CN.md has the README's commands, configs and examples, identical", () => {
  assert.deepEqual(chinese.blocks.map((b) => b.lang), readme.blocks.map((b) => b.lang));
  readme.blocks.forEach((block, i) => {
    const other = chinese.blocks[i];
    const where = `code block ${i + 1} (${block.lang || "plain"}, under "${block.section}")`;
    if (block.lang === "sh") assert.deepEqual(commandsOf(other!), commandsOf(block), where);
    else if (block.lang === "json") {
      assert.deepEqual(JSON.parse(other!.text), JSON.parse(block.text), where);
    } // A plain block is a picture (the layout) whose words are translated.
    else if (block.lang !== "") assert.equal(other!.text, block.text, where);
  });
});

/** A code span's text with its line breaks and runs of spaces as one space. */
function codeSpans(markdown: string): Set<string> {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "");
  return new Set([...prose.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\s+/g, " ")));
}

Deno.test("README.zh-CN.md names every flag, variable, endpoint and file the README names in its prose", () => {
  const chineseSpans = codeSpans(read(CHINESE));
  const missing = [...codeSpans(read(ENGLISH))].filter((span) => !chineseSpans.has(span));
  assert.deepEqual(missing, [], "README.zh-CN.md lacks these code spans of README.md");
});

Deno.test("the README starts with the clone, the demo server without credentials, and the tests", () => {
  const [quickStart] = readme.blocks;
  assert.equal(readme.headings[0]!.text, "Quick start");
  const [clone, demo, test] = commandsOf(quickStart!);
  assert.match(clone!, /^git clone \S+ (\S+) && cd \1$/);
  assert.match(demo!, /^(npx -y )?deno task demo\b/);
  assert.match(test!, /^(npx -y )?deno task test\b/);
});

Deno.test("every deno task the READMEs mention is a task of deno.json", () => {
  const { tasks } = JSON.parse(read("deno.json")) as { tasks: Record<string, unknown> };
  for (const name of [ENGLISH, CHINESE, "CONTRIBUTING.md"]) {
    for (const [, task] of read(name).matchAll(/deno task ([a-z][\w-]*(?::[\w-]+)*)/g)) {
      assert.ok(task! in tasks, `${name} mentions deno task ${task}, which deno.json lacks`);
    }
  }
});

/** The README's `text` example that starts with `firstLine`. */
function example(firstLine: string): string {
  const block = readme.blocks.find((b) => b.lang === "text" && b.text.startsWith(firstLine));
  assert.ok(block, `README.md has no text example starting with ${firstLine}`);
  return block.text;
}

Deno.test("the README's search examples are what the demo server answers", async () => {
  const config = testConfig(["--demo"]);
  await withConnection(config, { fetch: demoFetchFor(config) }, async (client) => {
    const call = async (name: string, args: Record<string, unknown>) =>
      textOf(await client.callTool({ name, arguments: { ...args, wait_all_regions: true } }));
    assert.equal(
      await call("search_psm_service", { keyword: "oec.affiliate.monitor" }),
      example("Found oec.affiliate.monitor in cn, us."),
    );
    assert.equal(
      await call("search_multiple_services", { keywords: "oec.trade.order, toutiao.user, zzz" }),
      example("Searched 3 keywords:"),
    );
    // The README cuts this one short where a line is only "…".
    const partial = example('No service is named exactly "oec.live.promo"').split(/\n\s*…$/m)[0];
    assert.ok(
      (await call("search_psm_service", { keyword: "oec.live.promo" })).startsWith(partial!),
    );
  });
});

Deno.test("--help names every flag of the README's configuration table and every endpoint", () => {
  const table = read(ENGLISH).split("\n").filter((line) => line.startsWith("| `--"));
  const flags = table.flatMap((line) => [...line.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]));
  assert.ok(flags.length > 10, "the README's configuration table was not found");
  const endpoints = ["/mcp", "/sse", "/messages", "/health", "/ready", "/metrics"];
  const missing = [...flags, ...endpoints].filter((name) => !USAGE.includes(name!));
  assert.deepEqual(missing, [], "--help lacks these");
});

Deno.test("every claude mcp add of both READMEs names the server where claude reads its name", () => {
  for (const name of [ENGLISH, CHINESE]) {
    const lines = [...read(name).matchAll(/claude mcp add [^`\n]+/g)].map((m) => m[0]);
    assert.ok(lines.length >= 4, `${name} has fewer claude mcp add commands than expected`);
    for (const line of lines) {
      const [server] = claudeAddPositionals(shellWords(line));
      assert.equal(server, "byted-live-promotion", `${name}: ${line}`);
    }
  }
});

/** Per `##`/`###` section: its table rows and its list items, counted outside code blocks. */
function sectionShapes(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "");
  const shapes: string[] = [];
  let rows = 0, items = 0, heading = "";
  const flush = () => heading && shapes.push(`${heading}: ${rows} table rows, ${items} list items`);
  for (const line of prose.split("\n")) {
    const level = line.match(/^(#{2,3}) /)?.[1];
    if (level) {
      flush();
      [heading, rows, items] = [`${level} #${shapes.length + 1}`, 0, 0];
    } else if (line.startsWith("|")) rows++;
    else if (/^\s*- /.test(line)) items++;
  }
  flush();
  return shapes;
}

Deno.test("README.zh-CN.md has the README's table rows and list items, section by section", () => {
  assert.deepEqual(sectionShapes(read(CHINESE)), sectionShapes(read(ENGLISH)));
});

// Where a command line that starts the server is written down for people to copy.
const DOCUMENTED_COMMANDS = [
  ENGLISH,
  CHINESE,
  "CONTRIBUTING.md",
  "Dockerfile",
  "startup.sh",
  "startup.ps1",
];

function filesUnder(dir: string): string[] {
  return [...Deno.readDirSync(new URL(`../${dir}`, import.meta.url))].flatMap((entry) =>
    entry.isDirectory ? filesUnder(`${dir}/${entry.name}`) : [`${dir}/${entry.name}`]
  );
}

Deno.test("no documented command passes --auth-token, and both READMEs say to pass MCP_AUTH_TOKEN instead", () => {
  const files = [...DOCUMENTED_COMMANDS, ...filesUnder("docs"), ...filesUnder("deploy")];
  for (const name of files) {
    const text = read(name);
    const commands = name.endsWith(".md")
      ? parseMarkdown(text).blocks.map((block) => block.text).join("\n")
      : text;
    assert.doesNotMatch(commands, /--auth-token[= ]/, `${name} passes the token as a flag`);
  }
  for (const [name, bullet] of [[ENGLISH, "Bearer token."], [CHINESE, "Bearer 令牌。"]]) {
    const paragraph = read(name!).split("\n- ").find((item) => item.startsWith(`**${bullet}**`));
    assert.ok(paragraph, `${name} has no ${bullet} item`);
    for (
      const span of [
        "`MCP_AUTH_TOKEN`",
        "`deno task`",
        "`Task start deno run … --auth-token T`",
        "`ps`",
      ]
    ) {
      assert.ok(paragraph.includes(span), `${name}'s ${bullet} item does not name ${span}`);
    }
  }
});
