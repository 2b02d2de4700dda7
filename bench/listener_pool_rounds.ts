// Copyright 2026 the iox authors. MIT license.
// ListenerPool's speed-up as interleaved rounds, on Deno and on Bun:
//   deno run -A --unstable-net bench/listener_pool_rounds.ts [rounds]
//   bun bench/listener_pool_rounds.ts [rounds]
//
// Two comparisons (bench/_listener_pool.ts): a CPU-bound handler on
// threads: 2 vs threads: 1, and an echo on every core vs one NetListener.
// Each round runs LOADS loads on each server of a comparison in turn (the
// order reversed every other round) and times them; a server's ratio in a
// round is the baseline's time over its own (above 1: faster). Printed are
// the median ratio over the rounds and its interquartile range.
import process from "node:process";
import {
  calibrate,
  CPU_CLIENTS,
  CPU_MS,
  cpuLoad,
  cpuServers,
  ECHO_CLIENTS,
  echoLoad,
  echoServers,
  type Server,
} from "./_listener_pool.ts";
import { countArg, quantile } from "./_stats.ts";

const LOADS = 5;
const WARMUP = 5;
const rounds = countArg(0, "rounds", 12);

async function compare(
  title: string,
  servers: Server[],
  load: (port: number) => Promise<void>,
): Promise<void> {
  const totals: number[][] = servers.map(() => []);
  for (const server of servers) {
    for (let i = 0; i < WARMUP; i++) await load(server.port);
  }
  for (let round = 0; round < rounds; round++) {
    const order = servers.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) {
      const start = performance.now();
      for (let i = 0; i < LOADS; i++) await load(servers[index]!.port);
      totals[index]!.push(performance.now() - start);
    }
  }
  console.log(title);
  for (const [index, server] of servers.entries()) {
    const ratios = totals[index]!.map((time, round) =>
      totals[0]![round]! / time
    );
    const perLoad = quantile(totals[index]!, 0.5) / LOADS;
    console.log(
      `  ${server.name.padEnd(26)} ${perLoad.toFixed(1).padStart(7)} ms/load` +
        `  ${quantile(ratios, 0.5).toFixed(2)}x (${
          quantile(ratios, 0.25).toFixed(2)
        }–${quantile(ratios, 0.75).toFixed(2)})`,
    );
  }
  for (const server of servers) await server.close();
}

const runtime = "Bun" in globalThis
  ? `Bun ${process.versions.bun}`
  : `Deno ${Deno.version.deno}`;
const work = calibrate(CPU_MS);
console.log(
  `${runtime}, ${navigator.hardwareConcurrency} cores: ${rounds} rounds of ${LOADS} loads`,
);
await compare(
  `CPU-bound (~${CPU_MS} ms of work per connection), ${CPU_CLIENTS} concurrent clients`,
  await cpuServers(),
  (port) => cpuLoad(port, work),
);
await compare(
  `accept+echo, ${ECHO_CLIENTS} concurrent clients`,
  await echoServers(),
  echoLoad,
);
process.exit(0);
