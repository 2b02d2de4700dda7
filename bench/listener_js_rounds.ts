// Copyright 2026 the iox authors. MIT license.
// What NetListener's JavaScript costs per connection, without the system
// calls: the runtime's own listener API is replaced by fakes that hand out
// connections which deliver 100 bytes, then their end of stream, and take
// every write at once. Interleaved rounds, in one process:
//   deno run -A bench/listener_js_rounds.ts [rounds] [connections]
//   bun bench/listener_js_rounds.ts [rounds] [connections]
//
// Servers, each echoing and closing after the end of stream:
// - the least a promise-based API costs: one promise per read (straight
//   from the fake's delivery) and per write, and the same 4 KiB buffer per
//   connection as the echoes below;
// - NetListener with bench/_echo.ts's read/write echo;
// - NetListener with `conn.readable.pipeTo(conn.writable)`.
// Connections arrive 16 at a time; a batch ends when all 16 are closed.
// Printed: the median µs per connection over the rounds, and its range.
// The fakes follow the shapes iox uses (src/_runtime/net_deno.ts,
// net_bun.ts); the numbers swing with when the garbage collector runs.
import process from "node:process";
import { type Connection, NetListener } from "../src/listener.ts";
import { BUFFER_SIZE, PAYLOAD, readWriteEcho } from "./_echo.ts";
import { countArg, quantile } from "./_stats.ts";

const BATCH = 16;
const WARMUP_ROUNDS = 2;
const payload = new Uint8Array(PAYLOAD).fill(0x70);

/** A server on fake sockets: `batch()` runs one batch of connections. */
interface FakeServer {
  name: string;
  batch(): Promise<void>;
}

// Counts closes, so that a batch can wait for its last one.
class Closes {
  #count = 0;
  #target = 0;
  #done: (() => void) | null = null;

  closed(): void {
    if (++this.#count >= this.#target) {
      const done = this.#done;
      this.#done = null;
      done?.();
    }
  }

  /** Resolves once `n` more connections have closed. */
  expect(n: number): { wait(): Promise<void> } {
    this.#target = this.#count + n;
    return {
      wait: () =>
        this.#count >= this.#target
          ? Promise.resolve()
          : new Promise((resolve) => this.#done = resolve),
    };
  }
}

// Bun: a listener whose `reload` hands over the socket handlers, and
// sockets that take every write.
interface BunHandlers {
  open(socket: BunFake): void;
  data(socket: BunFake, data: Uint8Array): void;
  end(socket: BunFake): void;
  close(socket: BunFake): void;
}

class BunFake {
  data: unknown = undefined;
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 5555;
  readonly localAddress = "127.0.0.1";
  #closes: Closes;
  #handlers: BunHandlers;
  #ended = false;

  constructor(closes: Closes, handlers: BunHandlers) {
    this.#closes = closes;
    this.#handlers = handlers;
  }

  write(data: Uint8Array): number {
    return data.length;
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closes.closed();
    queueMicrotask(() => this.#handlers.close(this));
  }

  shutdown(): void {}
  pause(): void {}
  resume(): void {}
  setNoDelay(): boolean {
    return true;
  }
  setKeepAlive(): boolean {
    return true;
  }
}

// `attach` either adopts the listener (which hands its handlers over
// through `reload`) or returns handlers of its own.
function bunServer(
  name: string,
  attach: (listener: object) => BunHandlers | void,
): FakeServer {
  const closes = new Closes();
  let handlers: BunHandlers | undefined;
  const listener = {
    port: 1234,
    hostname: "127.0.0.1",
    stop(): void {},
    reload(options: { socket: BunHandlers }): void {
      handlers = options.socket;
    },
  };
  handlers = attach(listener) ?? handlers;
  if (handlers === undefined) throw new Error(`${name}: no socket handlers`);
  const h = handlers;
  return {
    name,
    async batch() {
      const done = closes.expect(BATCH);
      const sockets: BunFake[] = [];
      for (let i = 0; i < BATCH; i++) {
        const socket = new BunFake(closes, h);
        sockets.push(socket);
        h.open(socket);
      }
      await null;
      for (const socket of sockets) h.data(socket, payload);
      for (const socket of sockets) h.end(socket);
      await done.wait();
    },
  };
}

// The least a promise API costs on Bun's callbacks.
function bunFloor(): BunHandlers {
  interface State {
    queue: Uint8Array[];
    reader: ((chunk: Uint8Array | null) => void) | null;
    eof: boolean;
  }
  const state = (socket: BunFake) => socket.data as State;
  const settle = (s: State, chunk: Uint8Array | null) => {
    const reader = s.reader;
    s.reader = null;
    reader?.(chunk);
    return reader !== null;
  };
  return {
    open(socket) {
      const s: State = { queue: [], reader: null, eof: false };
      socket.data = s;
      const read = (): Promise<Uint8Array | null> =>
        s.queue.length > 0
          ? Promise.resolve(s.queue.shift()!)
          : s.eof
          ? Promise.resolve(null)
          : new Promise((resolve) => s.reader = resolve);
      (async () => {
        const buffer = new Uint8Array(BUFFER_SIZE);
        for (let chunk; (chunk = await read()) !== null;) {
          buffer.set(chunk);
          await Promise.resolve(socket.write(buffer.subarray(0, chunk.length)));
        }
        socket.end();
      })();
    },
    data(socket, data) {
      if (!settle(state(socket), data)) state(socket).queue.push(data);
    },
    end(socket) {
      state(socket).eof = true;
      settle(state(socket), null);
    },
    close() {},
  };
}

// Deno: a listener whose accept() hands out fake Deno.Conns.
class DenoFake {
  readonly localAddr = {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 1234,
  } as const;
  readonly remoteAddr = {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 5555,
  } as const;
  #closes: Closes;
  #sent = false;
  #closed = false;

  constructor(closes: Closes) {
    this.#closes = closes;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#sent) return Promise.resolve(null);
    this.#sent = true;
    buffer.set(payload);
    return Promise.resolve(payload.length);
  }

  write(data: Uint8Array): Promise<number> {
    return Promise.resolve(data.length);
  }

  closeWrite(): Promise<void> {
    return Promise.resolve();
  }

  setNoDelay(): void {}
  setKeepAlive(): void {}

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closes.closed();
  }
}

interface DenoFakeListener {
  readonly addr: { transport: "tcp"; hostname: string; port: number };
  accept(): Promise<DenoFake>;
  close(): void;
}

function denoServer(
  name: string,
  attach: (listener: DenoFakeListener) => void,
): FakeServer {
  const closes = new Closes();
  const ready: DenoFake[] = [];
  let acceptor: ((conn: DenoFake) => void) | null = null;
  const listener: DenoFakeListener = {
    addr: { transport: "tcp", hostname: "127.0.0.1", port: 1234 },
    accept(): Promise<DenoFake> {
      const conn = ready.shift();
      if (conn !== undefined) return Promise.resolve(conn);
      return new Promise((resolve) => acceptor = resolve);
    },
    close(): void {},
  };
  attach(listener);
  return {
    name,
    async batch() {
      const done = closes.expect(BATCH);
      for (let i = 0; i < BATCH; i++) {
        const conn = new DenoFake(closes);
        const take = acceptor;
        acceptor = null;
        if (take !== null) take(conn);
        else ready.push(conn);
      }
      await done.wait();
    },
  };
}

// The least a promise API costs on Deno.Conn's read and write.
function denoFloor(listener: DenoFakeListener): void {
  (async () => {
    for (;;) {
      const conn = await listener.accept();
      (async () => {
        const buffer = new Uint8Array(BUFFER_SIZE);
        for (let n; (n = await conn.read(buffer)) !== null;) {
          await conn.write(buffer.subarray(0, n));
        }
        conn.close();
      })();
    }
  })();
}

function onNetListener(
  handler: (conn: Connection) => Promise<void>,
): (listener: object) => void {
  return (listener) => {
    const netListener = new NetListener({ name: "bench" });
    netListener.add(listener);
    netListener.setClientHandler(handler);
  };
}

const pipe = (conn: Connection) => conn.readable.pipeTo(conn.writable);
const bun = "Bun" in globalThis;
const servers: FakeServer[] = bun
  ? [
    bunServer("promise floor", bunFloor),
    bunServer("NetListener read/write", onNetListener(readWriteEcho)),
    bunServer("NetListener pipeTo", onNetListener(pipe)),
  ]
  : [
    denoServer("promise floor", denoFloor),
    denoServer("NetListener read/write", onNetListener(readWriteEcho)),
    denoServer("NetListener pipeTo", onNetListener(pipe)),
  ];

const rounds = countArg(0, "rounds", 10);
const connections = countArg(1, "connections", 32_000);
const batches = Math.ceil(connections / BATCH);
const perConnection: number[][] = servers.map(() => []);
for (let round = -WARMUP_ROUNDS; round < rounds; round++) {
  const order = servers.map((_, index) => index);
  if (round % 2 !== 0) order.reverse();
  for (const index of order) {
    const server = servers[index]!;
    const start = performance.now();
    for (let i = 0; i < batches; i++) await server.batch();
    const micros = (performance.now() - start) * 1000 / (batches * BATCH);
    if (round >= 0) perConnection[index]!.push(micros);
  }
}

const runtime = bun
  ? `Bun ${process.versions.bun}`
  : `Deno ${Deno.version.deno}`;
console.log(
  `${runtime}: ${rounds} rounds of ${batches * BATCH} fake connections`,
);
for (const [index, server] of servers.entries()) {
  const times = perConnection[index]!;
  console.log(
    `${server.name.padEnd(24)} ${
      quantile(times, 0.5).toFixed(2)
    } µs/connection (${quantile(times, 0.25).toFixed(2)}–${
      quantile(times, 0.75).toFixed(2)
    })`,
  );
}
process.exit(0);
