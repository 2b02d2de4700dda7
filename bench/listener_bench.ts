// Copyright 2026 the iox authors. MIT license.
// Connections accepted and echoed per second: NetListener against a raw
// Deno.listen accept loop (the baseline) and node:net's createServer, all
// in this process, each served the same clients. One bench iteration is
// BATCH clients that connect at once, send a small message, shut down their
// sending side, read the echo to the end and close.
//
// The iteration counts are fixed and small because under `deno bench` (not
// `deno run`) this process's descriptor count grows by one per client
// connection until the run ends, whichever server is measured; thousands of
// iterations would hit the descriptor limit.
import { createServer, type Server } from "node:net";
import { NetListener } from "../src/listener.ts";

const BATCH = 16;
const payload = new TextEncoder().encode("ping ".repeat(20));

// Under load the loopback here now and then resets a connect; retry it, the
// same for every server.
async function connect(port: number): Promise<Deno.TcpConn> {
  for (let attempt = 1;; attempt++) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionReset) || attempt === 5) {
        throw error;
      }
    }
  }
}

async function roundTrip(port: number): Promise<void> {
  const conn = await connect(port);
  await conn.write(payload);
  await conn.closeWrite();
  const buffer = new Uint8Array(1024);
  let total = 0;
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    total += n;
  }
  conn.close();
  if (total !== payload.length) throw new Error(`echo lost: ${total} bytes`);
}

function batch(port: number): Promise<void[]> {
  return Promise.all(Array.from({ length: BATCH }, () => roundTrip(port)));
}

// Raw Deno: the accept loop and Deno's own streams.
const raw = Deno.listen({ hostname: "127.0.0.1", port: 0 });
(async () => {
  for await (const conn of raw) {
    conn.readable.pipeTo(conn.writable).catch(() => {});
  }
})().catch(() => {});

const listener = new NetListener({ name: "bench" });
const [addr] = await listener.open("127.0.0.1:0");
listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));

const server: Server = createServer((socket) => socket.pipe(socket));
const nodePort = await new Promise<number>((resolve) => {
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    resolve(typeof address === "object" && address ? address.port : 0);
  });
});

const rawPort = (raw.addr as Deno.NetAddr).port;
const listenerPort = addr?.transport === "tcp" ? addr.port : 0;

Deno.bench({
  name: `raw Deno.listen accept loop (${BATCH} clients)`,
  group: "accept+echo",
  baseline: true,
  n: 120,
  warmup: 10,
  fn: () => batch(rawPort).then(() => {}),
});

Deno.bench({
  name: `NetListener (${BATCH} clients)`,
  group: "accept+echo",
  n: 120,
  warmup: 10,
  fn: () => batch(listenerPort).then(() => {}),
});

Deno.bench({
  name: `node:net createServer (${BATCH} clients)`,
  group: "accept+echo",
  n: 120,
  warmup: 10,
  fn: () => batch(nodePort).then(() => {}),
});

globalThis.addEventListener("unload", () => {
  raw.close();
  void listener.disconnect();
  server.close();
});
