// Copyright 2026 the iox authors. MIT license.
// ListenerPool side by side with its baselines, on Deno and on Bun:
//   deno bench -A bench/listener_pool_bench.ts
//   bun tools/bench_bun.ts bench/listener_pool_bench.ts
//
// The two comparisons of bench/_listener_pool.ts as groups: a CPU-bound
// handler (threads: 1 the baseline, threads: 2), and an echo (one
// NetListener the baseline, a ListenerPool on every core); one iteration is
// one load. bench/listener_pool_rounds.ts measures the same as interleaved
// rounds, for steadier ratios on a busy machine.
import { bench } from "./_harness.ts";
import {
  calibrate,
  CPU_CLIENTS,
  CPU_MS,
  cpuLoad,
  cpuServers,
  ECHO_CLIENTS,
  echoLoad,
  echoServers,
} from "./_listener_pool.ts";

const rounds = calibrate(CPU_MS);
const cpu = await cpuServers();
const echo = await echoServers();

for (const [index, server] of cpu.entries()) {
  bench({
    name: server.name,
    group:
      `CPU-bound handler (~${CPU_MS} ms per connection), ${CPU_CLIENTS} concurrent clients`,
    baseline: index === 0,
    async fn() {
      await cpuLoad(server.port, rounds);
    },
  });
}
for (const [index, server] of echo.entries()) {
  bench({
    name: server.name,
    group: `accept+echo on every core, ${ECHO_CLIENTS} concurrent clients`,
    baseline: index === 0,
    async fn() {
      await echoLoad(server.port);
    },
  });
}

// Let the process end once the benches ran (Deno; tools/bench_bun.ts exits).
globalThis.addEventListener?.("unload", () => {
  for (const server of [...cpu, ...echo]) void server.close();
});
