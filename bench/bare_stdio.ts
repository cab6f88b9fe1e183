/**
 * The baseline of the stdio start-up scenario: a bare `deno run` script with
 * no imports that answers `initialize` over stdin/stdout, the least any
 * server written for Deno has to do before a client can talk to it.
 *
 * @module
 */

const encoder = new TextEncoder();

function answer(line: string): string | undefined {
  const message = JSON.parse(line);
  if (message.method === "initialize") {
    return JSON.stringify({
      jsonrpc: "2.0",
      id: message.id,
      result: {
        protocolVersion: message.params.protocolVersion,
        capabilities: {},
        serverInfo: { name: "bench-bare", version: "0.0.0" },
      },
    });
  }
  if (message.id === undefined) return undefined;
  return JSON.stringify({
    jsonrpc: "2.0",
    id: message.id,
    error: { code: -32601, message: "Method not found" },
  });
}

if (import.meta.main) {
  let pending = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines.filter((l) => l.trim() !== "")) {
      const reply = answer(line);
      if (reply) await Deno.stdout.write(encoder.encode(reply + "\n"));
    }
  }
}
