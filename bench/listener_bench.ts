// Copyright 2026 the iox authors. MIT license.
// Connections accepted and echoed per second, on Deno and on Bun:
//   deno bench -A bench/listener_bench.ts
//   bun tools/bench_bun.ts bench/listener_bench.ts
//
// Three servers in this process, side by side in one group:
// - the baseline, the raw accept loop a user would write with the runtime's
//   own API: under Deno `Deno.listen` and each connection's
//   `conn.readable.pipeTo(conn.writable)`; under Bun `Bun.listen` writing
//   each chunk back from its `data` callback and ending on `end` (the
//   payload is small enough for every write to be taken at once);
// - NetListener with the handler `conn.readable.pipeTo(conn.writable)`;
// - node:net's `createServer` with `socket.pipe(socket)`.
// Every server echoes what it reads and closes after the client's end of
// stream. One iteration is the same client load for each: CLIENTS node:net
// sockets connect to 127.0.0.1 at once, each sends PAYLOAD bytes, ends its
// sending side, reads the echo to the end (checking every byte came back)
// and closes. The bench functions are `async` on purpose: Deno.bench awaits
// the promise of an `async` function only; a plain function returning a
// promise is timed as synchronous, starting iterations without waiting.
import { connect, createServer, type Server, type Socket } from "node:net";
import { bench } from "./_harness.ts";
import { NetListener } from "../src/listener.ts";

const CLIENTS = 16;
const PAYLOAD = 100;
const GROUP = `accept+echo, ${CLIENTS} concurrent clients`;
const payload = new Uint8Array(PAYLOAD).fill(0x70);

function roundTrip(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let echoed = 0;
    socket.on("data", (chunk: Uint8Array) => echoed += chunk.length);
    socket.on("error", reject);
    socket.on("close", () => {
      if (echoed === PAYLOAD) resolve();
      else reject(new Error(`echo lost: ${echoed} of ${PAYLOAD} bytes`));
    });
    socket.end(payload);
  });
}

async function clients(port: number): Promise<void> {
  const trips: Promise<void>[] = [];
  for (let i = 0; i < CLIENTS; i++) trips.push(roundTrip(port));
  await Promise.all(trips);
}

interface Raw {
  name: string;
  port: number;
  close(): void;
}

// Bun's API, as much of it as the raw baseline uses.
interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
}
interface BunApi {
  listen(options: {
    hostname: string;
    port: number;
    allowHalfOpen: boolean;
    socket: {
      data(socket: BunSocket, data: Uint8Array): void;
      end(socket: BunSocket): void;
    };
  }): { port: number; stop(closeActiveConnections?: boolean): void };
}

function rawServer(): Raw {
  const bun = (globalThis as { Bun?: BunApi }).Bun;
  if (bun !== undefined) {
    const server = bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      allowHalfOpen: true,
      socket: {
        data: (socket, data) => void socket.write(data),
        end: (socket) => socket.end(),
      },
    });
    return {
      name: "raw Bun.listen",
      port: server.port,
      close: () => server.stop(true),
    };
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      conn.readable.pipeTo(conn.writable).catch(() => {});
    }
  })().catch(() => {});
  return {
    name: "raw Deno.listen",
    port: (listener.addr as Deno.NetAddr).port,
    close: () => listener.close(),
  };
}

const raw = rawServer();

const listener = new NetListener({ name: "bench" });
const [addr] = await listener.open("127.0.0.1:0");
if (addr?.transport !== "tcp") throw new Error("NetListener did not listen");
listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));

const server: Server = createServer((socket) => socket.pipe(socket));
const nodePort = await new Promise<number>((resolve) => {
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    resolve(typeof address === "object" && address ? address.port : 0);
  });
});

bench({
  name: raw.name,
  group: GROUP,
  baseline: true,
  async fn() {
    await clients(raw.port);
  },
});
bench({
  name: "NetListener",
  group: GROUP,
  async fn() {
    await clients(addr.port);
  },
});
bench({
  name: "node:net createServer",
  group: GROUP,
  async fn() {
    await clients(nodePort);
  },
});

// Let the process end once the benches ran (Deno; tools/bench_bun.ts exits).
globalThis.addEventListener?.("unload", () => {
  raw.close();
  void listener.disconnect();
  server.close();
});
