import assert from "node:assert/strict";
import { textOf } from "./harness.ts";
import { Client, StreamableHTTPClientTransport } from "./mcp_client.ts";
import { fourRegionConfigFile, fourRegionUpstream } from "./fake_regions.ts";
import { fileURLToPath } from "node:url";
import { assertStoppedCleanly, runServer, startServer } from "./server_process.ts";

const CLOUD_COOKIE = "SENTINEL-E2E-CLOUD-8e1f";
const US_COOKIE = "SENTINEL-E2E-US-44a0";
const I18N_SECRET = "SENTINEL-E2E-I18N-9c6b";

// The test task may write here and nowhere else; each test removes what it wrote.
const SCRATCH = new URL("./testdata/tmp/", import.meta.url);

async function writeConfig(content: unknown): Promise<string> {
  await Deno.mkdir(SCRATCH, { recursive: true });
  const path = await Deno.makeTempFile({ dir: fileURLToPath(SCRATCH), suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(content));
  return path;
}

/** The regional fake served on 127.0.0.1 until `close`. */
function serveRegions() {
  let handle: (request: Request) => Promise<Response> = () => Promise.reject();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => handle(request),
  );
  const fake = fourRegionUpstream(`http://127.0.0.1:${server.addr.port}`, {
    cloudCookie: CLOUD_COOKIE,
    usCookie: US_COOKIE,
    i18nSecret: I18N_SECRET,
  });
  handle = (request) => fake.fetch(request);
  return { fake, close: () => server.shutdown() };
}

Deno.test("with a config file the real server signs each region in at its own auth service", async () => {
  const { fake, close } = serveRegions();
  const path = await writeConfig(fourRegionConfigFile(fake));
  const server = await startServer(["--config", path, "--log-level", "DEBUG"], {
    CAS_SESSION: CLOUD_COOKIE,
    CAS_SESSION_us: US_COOKIE,
    SERVICE_ACCOUNT_SECRET_i18n: I18N_SECRET,
  });
  const client = new Client({ name: "e2e-regions", version: "0" });
  let output = "";
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "svc" },
    });
    output = JSON.stringify(result);
    assert.match(textOf(result), /4 services match/);
  } finally {
    await client.close();
    const status = await server.stop();
    await close();
    await Deno.remove(path);
    assertStoppedCleanly(status);
  }
  assert.deepEqual([...fake.searches].sort(), ["boe:cloud", "cn:cloud", "i18n:i18n", "us:us"]);
  assert.equal(fake.authRequests("cloud"), 1, "cn and boe share one token");
  const { stdout, stderr } = server.output();
  for (const text of [output, stdout, stderr]) {
    for (const credential of [CLOUD_COOKIE, US_COOKIE, I18N_SECRET]) {
      assert.ok(!text.includes(credential), `a credential leaked:\n${text}`);
    }
  }
});

Deno.test("the real server keeps CAS_SESSION from an auth service on another site and names the region at start", async () => {
  const { fake, close } = serveRegions();
  const file = fourRegionConfigFile(fake);
  // localhost is another site than 127.0.0.1, where the default auth service is.
  const otherSite = fake.authUrl("cloud").replace("127.0.0.1", "localhost");
  const eu = { name: "eu", base_url: fake.baseUrl("eu"), auth_url: otherSite };
  const path = await writeConfig({ ...file, regions: [...file.regions, eu] });
  const server = await startServer(["--config", path], {
    CAS_SESSION: CLOUD_COOKIE,
    CAS_SESSION_us: US_COOKIE,
    SERVICE_ACCOUNT_SECRET_i18n: I18N_SECRET,
  });
  const client = new Client({ name: "e2e-regions", version: "0" });
  let regions = "";
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    const result = await client.callTool({
      name: "search_psm_service",
      arguments: { keyword: "svc" },
    });
    assert.match(textOf(result), /Only cn, boe, us, i18n answered/);
    regions = textOf(await client.callTool({ name: "list_available_regions" }));
  } finally {
    await client.close();
    await server.stop();
    await close();
    await Deno.remove(path);
  }
  assert.match(regions, /^- eu: .*not configured: CAS_SESSION is not sent to localhost/m);
  assert.match(
    server.output().stderr,
    /\[WRN\].*Region eu is skipped, not configured: CAS_SESSION is not sent to localhost/,
  );
  assert.equal(fake.unexpected.length, 0, fake.unexpected.join("\n"));
  assert.equal(
    fake.requests.filter((r) => r.headers.get("host")?.startsWith("localhost")).length,
    0,
  );
});

Deno.test("a bad config file exits 2 naming every problem with its path in the file", async () => {
  const path = await writeConfig({
    colour: "blue",
    regions: [{ name: "cn", base_url: "https://cn.example", auth_url: "nope" }, { name: "us" }],
  });
  try {
    const { code, stdout, stderr } = await runServer([], { MCP_CONFIG: path });
    assert.equal(code, 2);
    assert.equal(stdout, "");
    const lines = stderr.trim().split("\n");
    assert.match(lines[0]!, /^byted-live-promotion: Invalid config file .* \(3 problems\)/);
    assert.deepEqual(lines.slice(1).map((line) => line.trim()).sort(), [
      "colour: not an option of the config file, see the README",
      "regions[0].auth_url: expected an absolute http(s) URL such as https://cloud.bytedance.net/auth/api/v1/jwt",
      "regions[1].base_url: missing",
    ]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a config file that does not exist exits 2 with one line naming it", async () => {
  const { code, stderr } = await runServer(["--config", "no/such/regions.json"]);
  assert.equal(code, 2);
  assert.equal(
    stderr.trim(),
    "byted-live-promotion: Config file no/such/regions.json does not exist: check --config or MCP_CONFIG",
  );
});

Deno.test("once the configuration is read, the server gives up its read permission", async () => {
  const main = new URL("../main.ts", import.meta.url).href;
  const probe = `import { main } from ${JSON.stringify(main)};
await main(["--version"]);
console.log(Deno.permissions.querySync({ name: "read" }).state);`;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", probe],
    stdin: "null",
    stderr: "null",
  }).output();
  assert.equal(code, 0);
  assert.match(
    new TextDecoder().decode(stdout),
    /\n(denied|prompt)\n$/,
    "read is no longer granted",
  );
});

Deno.test("NEPTUNE_REGIONS left in the environment beside a config file is a warning at start", async () => {
  const path = await writeConfig({ regions: [{ name: "cn", base_url: "https://cn.example" }] });
  const server = await startServer(["--config", path, "--demo"], {
    NEPTUNE_REGIONS: "eu=https://eu.example",
  });
  try {
    await server.stop();
  } finally {
    await Deno.remove(path);
  }
  assert.match(
    server.output().stderr,
    /WRN.*NEPTUNE_REGIONS replaces the 1 region of the config file and their auth URLs/,
  );
});
