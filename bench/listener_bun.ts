// Copyright 2026 the iox authors. MIT license.
// Bun's counterpart of listener_bench.ts (Deno.bench does not run on Bun):
// connections accepted and echoed per second through a raw Bun.listen
// server, NetListener and node:net's createServer, in this process, with the
// same clients. Run: `bun bench/listener_bun.ts`.
import { connect, createServer } from "node:net";
import { NetListener } from "../src/listener.ts";

const BATCH = 16;
const ROUNDS = 150;
const payload = Buffer.from("ping ".repeat(20));

function roundTrip(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let total = 0;
    socket.on("data", (chunk: Buffer) => total += chunk.length);
    socket.on("error", reject);
    socket.on("close", () => {
      if (total === payload.length) resolve();
      else reject(new Error(`echo lost: ${total} bytes`));
    });
    socket.end(payload);
  });
}

async function measure(port: number): Promise<number> {
  const start = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(Array.from({ length: BATCH }, () => roundTrip(port)));
  }
  return (BATCH * ROUNDS) / ((performance.now() - start) / 1000);
}

interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
}
const { Bun } = globalThis as unknown as {
  Bun: {
    listen(options: unknown): { port: number; stop(): void };
  };
};
// Raw Bun: echo in the data callback (small payloads: writes complete).
const raw = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  allowHalfOpen: true,
  socket: {
    data: (socket: BunSocket, data: Uint8Array) => socket.write(data),
    end: (socket: BunSocket) => socket.end(),
  },
});

const listener = new NetListener({ name: "bench" });
const [addr] = await listener.open("127.0.0.1:0");
listener.setClientHandler((conn) => conn.readable.pipeTo(conn.writable));
const listenerPort = addr?.transport === "tcp" ? addr.port : 0;

const server = createServer((socket) => socket.pipe(socket));
const nodePort = await new Promise<number>((resolve) => {
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    resolve(typeof address === "object" && address ? address.port : 0);
  });
});

const results: Record<string, number> = {};
for (let run = 0; run < 3; run++) {
  for (
    const [name, port] of [
      ["raw Bun.listen", raw.port],
      ["NetListener", listenerPort],
      ["node:net createServer", nodePort],
    ] as const
  ) {
    results[name] = Math.max(results[name] ?? 0, await measure(port));
  }
}
const base = results["raw Bun.listen"] ?? 1;
for (const [name, perSecond] of Object.entries(results)) {
  console.log(
    `${name.padEnd(24)} ${perSecond.toFixed(0).padStart(7)} conn/s  ${
      (perSecond / base).toFixed(2)
    }x raw`,
  );
}
raw.stop();
await listener.disconnect();
server.close();
