// Copyright 2026 the iox authors. MIT license.
// Connections accepted and echoed per second, on Deno and on Bun:
//   deno bench -A bench/listener_bench.ts
//   bun tools/bench_bun.ts bench/listener_bench.ts
//
// The three echo servers of bench/_echo.ts side by side in one group, the
// raw accept loop as the baseline; one iteration is one load of
// CLIENTS concurrent clients. The bench functions are `async` on purpose:
// Deno.bench awaits the promise of an `async` function only; a plain
// function returning a promise is timed as synchronous, starting iterations
// without waiting. bench/listener_rounds.ts measures the same as
// interleaved rounds, for steadier ratios.
import { bench } from "./_harness.ts";
import { CLIENTS, load, startServers } from "./_echo.ts";

const GROUP = `accept+echo, ${CLIENTS} concurrent clients`;
const servers = await startServers();

for (const [index, server] of servers.entries()) {
  bench({
    name: server.name,
    group: GROUP,
    baseline: index === 0,
    async fn() {
      await load(server.port);
    },
  });
}

// Let the process end once the benches ran (Deno; tools/bench_bun.ts exits).
globalThis.addEventListener?.("unload", () => {
  for (const server of servers) server.close();
});
