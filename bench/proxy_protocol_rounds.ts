// Copyright 2026 the iox authors. MIT license.
// What reading a PROXY protocol header costs a connection, as interleaved
// rounds (see bench/listener_rounds.ts for why rounds):
//   deno run -A bench/proxy_protocol_rounds.ts [rounds]
//   bun bench/proxy_protocol_rounds.ts [rounds]
//
// Three NetListener echo servers in this process: plain, and with
// `proxyProtocol` whose clients start with a v1 or a v2 header (sent in the
// same write as the payload, as a load balancer sends the header with the
// first bytes it relays). One load: CLIENTS node:net clients at once, each
// sends its header and PAYLOAD bytes, ends its side and reads the echo to
// the end. Printed: each server's median time per connection and its ratio
// to the plain server (above 1: faster), with the interquartile range.
import process from "node:process";
import { NetListener } from "../src/listener.ts";
import { V2_SIGNATURE } from "../tests/_proxy.ts";
import { CLIENTS, load, PAYLOAD } from "./_echo.ts";
import { countArg, quantile } from "./_stats.ts";

const LOADS = 80;
const WARMUP = 30;
const rounds = countArg(0, "rounds", 16);

const v1 = new TextEncoder().encode(
  "PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n",
);
const v2 = Uint8Array.from([
  ...V2_SIGNATURE,
  0x21,
  0x11,
  0x00,
  0x0c,
  203,
  0,
  113,
  7,
  192,
  0,
  2,
  1,
  0xc7,
  0x38,
  0x01,
  0xbb,
]);

async function server(
  name: string,
  proxyProtocol: boolean,
  header?: Uint8Array,
) {
  const listener = new NetListener({ name, proxyProtocol });
  const [addr] = await listener.open("127.0.0.1:0");
  if (addr?.transport !== "tcp") throw new Error("no TCP address");
  listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));
  return { name, listener, port: addr.port, header };
}

const servers = [
  await server("NetListener", false),
  await server("proxyProtocol, v1 header", true, v1),
  await server("proxyProtocol, v2 header", true, v2),
];
const totals: number[][] = servers.map(() => []);
for (const s of servers) {
  for (let i = 0; i < WARMUP; i++) await load(s.port, s.header);
}
for (let round = 0; round < rounds; round++) {
  const order = servers.map((_, index) => index);
  if (round % 2 === 1) order.reverse();
  for (const index of order) {
    const s = servers[index]!;
    const start = performance.now();
    for (let i = 0; i < LOADS; i++) await load(s.port, s.header);
    totals[index]!.push(performance.now() - start);
  }
}

const runtime = "Bun" in globalThis
  ? `Bun ${process.versions.bun}`
  : `Deno ${Deno.version.deno}`;
console.log(
  `${runtime}: ${rounds} rounds of ${LOADS} loads of ${CLIENTS} clients x ${PAYLOAD} bytes`,
);
for (const [index, s] of servers.entries()) {
  const ratios = totals[index]!.map((time, round) => totals[0]![round]! / time);
  const perConnection = quantile(totals[index]!, 0.5) / (LOADS * CLIENTS);
  console.log(
    `${s.name.padEnd(26)} ${
      (perConnection * 1000).toFixed(1)
    } µs/connection  vs plain ${quantile(ratios, 0.5).toFixed(2)}x (${
      quantile(ratios, 0.25).toFixed(2)
    }–${quantile(ratios, 0.75).toFixed(2)})`,
  );
}
for (const s of servers) await s.listener.disconnect();
