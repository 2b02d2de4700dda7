// Copyright 2026 the iox authors. MIT license.
// Connections accepted and echoed per second, on Deno and on Bun:
//   deno bench -A bench/listener_bench.ts
//   bun tools/bench_bun.ts bench/listener_bench.ts
//
// The echo servers of bench/_echo.ts side by side in one group, the raw
// accept loop as the baseline (one iteration: one load of CLIENTS
// concurrent clients); the TLS servers of bench/_tls_echo.ts, and the
// reader loop and watch of bench/_ping_pong.ts, in groups of their own. The bench functions are `async` on purpose:
// Deno.bench awaits the promise of an `async` function only; a plain
// function returning a promise is timed as synchronous, starting iterations
// without waiting. bench/listener_rounds.ts measures the same as
// interleaved rounds, for steadier ratios.
import { bench } from "./_harness.ts";
import { CLIENTS, type EchoServer, load, startServers } from "./_echo.ts";
import { startTlsServers, tlsLoad } from "./_tls_echo.ts";
import { pingLoad, PINGS, startPingServers } from "./_ping_pong.ts";

const servers: EchoServer[] = [];

async function group(
  name: string,
  start: () => Promise<EchoServer[]>,
  run: (port: number) => Promise<void>,
): Promise<void> {
  const started = await start();
  servers.push(...started);
  for (const [index, server] of started.entries()) {
    bench({
      name: server.name,
      group: name,
      baseline: index === 0,
      async fn() {
        await run(server.port);
      },
    });
  }
}

await group(`accept+echo, ${CLIENTS} concurrent clients`, startServers, load);
await group(
  `TLS handshake+echo, ${CLIENTS} concurrent clients`,
  startTlsServers,
  tlsLoad,
);
await group(`${PINGS} one-byte round trips`, startPingServers, pingLoad);

// Let the process end once the benches ran (Deno; tools/bench_bun.ts exits).
globalThis.addEventListener?.("unload", () => {
  for (const server of servers) server.close();
});
