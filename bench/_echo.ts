// Copyright 2026 the iox authors. MIT license.
// The accept+echo load of bench/listener_bench.ts and
// bench/listener_rounds.ts: three echo servers in this process, and the
// clients that load them.
//
// The servers, each echoing what it reads and closing after the client's
// end of stream:
// - the raw accept loop a user would write with the runtime's own API:
//   under Deno `Deno.listen` and each connection's
//   `conn.readable.pipeTo(conn.writable)`; under Bun `Bun.listen` writing
//   each chunk back from its `data` callback and ending on `end` (the
//   payload is small enough for every write to be taken at once);
// - NetListener with the handler `conn.readable.pipeTo(conn.writable)`;
// - node:net's `createServer` with `socket.pipe(socket)`.
//
// One load: CLIENTS node:net sockets connect to 127.0.0.1 at once, each
// sends PAYLOAD bytes, ends its sending side, reads the echo to the end
// (checking every byte came back) and closes.
import { connect, createServer, type Socket } from "node:net";
import process from "node:process";
import {
  type Addr,
  Connection,
  type ConnectionTransport,
  NetListener,
} from "../src/listener.ts";

/** Clients connecting at once in one load. */
export const CLIENTS = 16;
/** Bytes each client sends. */
export const PAYLOAD = 100;
/**
 * The buffer a read/write echo allocates per connection: enough for the
 * payload many times over. Zeroing a 16 KiB one took 15% of the server's
 * time under Bun.
 */
export const BUFFER_SIZE = 4096;
const payload = new Uint8Array(PAYLOAD).fill(0x70);

function roundTrip(port: number, message: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let echoed = 0;
    socket.on("data", (chunk: Uint8Array) => echoed += chunk.length);
    socket.on("error", reject);
    socket.on("close", () => {
      if (echoed === PAYLOAD) resolve();
      else reject(new Error(`echo lost: ${echoed} of ${PAYLOAD} bytes`));
    });
    socket.end(message);
  });
}

/**
 * One load on the server at `port`; with `header`, each client sends it in
 * the same write as its payload (as a load balancer sends a PROXY protocol
 * header), and still reads back just the payload.
 */
export async function load(port: number, header?: Uint8Array): Promise<void> {
  let message = payload;
  if (header !== undefined) {
    message = new Uint8Array(header.length + PAYLOAD);
    message.set(header);
    message.set(payload, header.length);
  }
  const trips: Promise<void>[] = [];
  for (let i = 0; i < CLIENTS; i++) trips.push(roundTrip(port, message));
  await Promise.all(trips);
}

/** A running echo server. */
export interface EchoServer {
  /** What the server is, as the benches name it. */
  name: string;
  /** Its port on 127.0.0.1. */
  port: number;
  /** Stops listening. */
  close(): void;
}

// Bun's API, as much of it as the raw server uses.
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

function rawServer(): EchoServer {
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

// Deno.Conn's own read/write loop: what NetListener's read/write path
// stands on under Deno.
function rawDenoReadWrite(): EchoServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buffer = new Uint8Array(BUFFER_SIZE);
        for (let n; (n = await conn.read(buffer)) !== null;) {
          await conn.write(buffer.subarray(0, n));
        }
      })().catch(() => {}).finally(() => conn.close());
    }
  })().catch(() => {});
  return {
    name: "raw Deno.Conn read/write",
    port: (listener.addr as Deno.NetAddr).port,
    close: () => listener.close(),
  };
}

// Another transport for Connection under Deno: node:net's sockets (Deno's
// Node compatibility layer, over the same Deno ops), driven the way
// src/_runtime/net_bun.ts drives Bun's callbacks. Only to compare it with
// Deno.Conn under NetListener; see docs/listener.md.
class NodeSocketTransport implements ConnectionTransport {
  readonly localAddr: Addr;
  readonly remoteAddr: Addr;
  #socket: Socket;
  #chunks: Uint8Array[] = [];
  #reader: ((chunk: Uint8Array | null) => void) | null = null;
  #eof = false;

  constructor(socket: Socket) {
    this.#socket = socket;
    this.localAddr = {
      transport: "tcp",
      hostname: socket.localAddress ?? "",
      port: socket.localPort ?? 0,
    };
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    socket.on("data", (chunk: Uint8Array) => {
      const reader = this.#reader;
      this.#reader = null;
      if (reader !== null) reader(chunk);
      else this.#chunks.push(chunk);
    });
    socket.on("end", () => {
      this.#eof = true;
      const reader = this.#reader;
      this.#reader = null;
      reader?.(null);
    });
    socket.on("error", () => {});
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) return Promise.resolve(chunk);
    if (this.#eof) return Promise.resolve(null);
    return new Promise((resolve) => this.#reader = resolve);
  }

  write(chunk: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#socket.write(chunk, (error) => error ? reject(error) : resolve())
    );
  }

  closeWrite(): Promise<void> {
    this.#socket.end();
    return Promise.resolve();
  }

  close(): void {
    this.#socket.destroy();
  }
}

function connectionOverNodeNet(): Promise<EchoServer> {
  const server = createServer(
    { allowHalfOpen: true },
    (socket) =>
      void readWriteEcho(new Connection(new NodeSocketTransport(socket))),
  );
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        name: "Connection on node:net",
        port: typeof address === "object" && address ? address.port : 0,
        close: () => server.close(),
      });
    });
  });
}

/** An echo with Connection's read and write, closing at the end. */
export async function readWriteEcho(conn: Connection): Promise<void> {
  const buffer = new Uint8Array(BUFFER_SIZE);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      await conn.write(buffer.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

async function netListenerServer(
  name: string,
  handler: (conn: Connection) => Promise<void>,
): Promise<EchoServer> {
  const listener = new NetListener({ name: "bench" });
  const [addr] = await listener.open("127.0.0.1:0");
  if (addr?.transport !== "tcp") throw new Error("NetListener did not listen");
  listener.setClientHandler(handler);
  return { name, port: addr.port, close: () => void listener.disconnect() };
}

function nodeServer(): Promise<EchoServer> {
  const server = createServer((socket) => socket.pipe(socket));
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        name: "node:net createServer",
        port: typeof address === "object" && address ? address.port : 0,
        close: () => server.close(),
      });
    });
  });
}

/**
 * Starts the servers: the raw loop first (the baseline), under Deno
 * Deno.Conn's read/write loop, then NetListener with pipeTo and with
 * read/write, under Deno with `--node-transport` on the command line
 * Connection's read/write over node:net's sockets, then node:net last.
 */
export async function startServers(): Promise<EchoServer[]> {
  const bun = "Bun" in globalThis;
  return [
    rawServer(),
    ...(bun ? [] : [rawDenoReadWrite()]),
    await netListenerServer(
      "NetListener pipeTo",
      (conn) => conn.readable.pipeTo(conn.writable),
    ),
    await netListenerServer("NetListener read/write", readWriteEcho),
    ...(bun || !process.argv.includes("--node-transport")
      ? []
      : [await connectionOverNodeNet()]),
    await nodeServer(),
  ];
}
