/**
 * The demo auth service and registries on 127.0.0.1 with a latency per
 * region, counting what they are asked: the benchmark's upstream.
 *
 * @module
 */

import type { Region } from "../src/config/mod.ts";
import { createDemoUpstream } from "../src/demo.ts";
import { upstreamArgs } from "../tests/server_process.ts";

/** How many requests the fake upstream answered since the last reset. */
export interface UpstreamCounts {
  readonly auth: number;
  /** Search requests per region name. */
  readonly searches: Readonly<Record<string, number>>;
}

/** The benchmark's fake upstream. */
export interface BenchUpstream {
  readonly authUrl: string;
  readonly regions: readonly Region[];
  /** `--auth-url` and `--region` arguments pointing at this upstream. */
  readonly args: readonly string[];
  /** Sets the latency of each region's searches, in milliseconds (missing regions: 0). */
  setLatency(latencyMs: Readonly<Record<string, number>>): void;
  counts(): UpstreamCounts;
  resetCounts(): void;
  close(): Promise<void>;
}

const REGION_NAMES = ["cn", "us"] as const;

/**
 * Serves the demo upstream for the regions cn and us on a free 127.0.0.1
 * port; a search of a region is answered after that region's latency.
 */
export function serveBenchUpstream(): BenchUpstream {
  let latencyMs: Readonly<Record<string, number>> = {};
  let auth = 0;
  let searches: Record<string, number> = {};
  let answer: (request: Request) => Response = () => new Response(null, { status: 503 });
  let regions: Region[] = [];
  const regionOf = (url: string) => regions.find((r) => url.startsWith(`${r.baseUrl}/`))?.name;

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const region = regionOf(request.url);
      if (region === undefined) {
        auth++;
      } else {
        searches[region] = (searches[region] ?? 0) + 1;
        const delay = latencyMs[region] ?? 0;
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      }
      return answer(request);
    },
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const authUrl = `${origin}/auth/api/v1/jwt`;
  regions = REGION_NAMES.map((name) => ({ name, baseUrl: `${origin}/${name}` }));
  answer = createDemoUpstream({ regions, authUrl, now: Date.now });
  return {
    authUrl,
    regions,
    args: upstreamArgs(authUrl, regions),
    setLatency(latency) {
      latencyMs = { ...latency };
    },
    counts: () => ({ auth, searches: { ...searches } }),
    resetCounts() {
      auth = 0;
      searches = {};
    },
    close: () => server.shutdown(),
  };
}
