// Copyright 2026 the iox authors. MIT license.
// Bun's sockets: Bun.listen's callbacks turned into a pull-based transport
// with real backpressure. Reading pauses the socket once 64 KiB wait unread
// and resumes it when they are taken; a write that the kernel takes only in
// part keeps the rest and finishes it on "drain".
//
// The interfaces below describe just the Bun APIs used here, mirroring
// bun-types 1.4.5 (Bun.listen, Socket, SocketHandler, TCPSocketListener,
// UnixSocketListener), so that type checking and publishing do not need
// bun-types.

import type { Addr, ConnectionTransport } from "../net/transport.ts";
import { cannotWrite, toConnectionError } from "../net/connection_error.ts";
import { alpnWireFormat } from "../net/_tls.ts";
import type { BindAddr, NetRuntime, RawListener } from "./net.ts";
import { isIpLiteral } from "../net/_address.ts";
import { AcceptQueue } from "./accept_queue.ts";

interface BunSocket {
  data: unknown;
  write(data: Uint8Array): number;
  end(): void;
  shutdown(halfClose?: boolean): void;
  pause(): void;
  resume(): void;
  setNoDelay(noDelay?: boolean): boolean;
  setKeepAlive(enable?: boolean, initialDelay?: number): boolean;
  readonly localAddress?: string;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly alpnProtocol?: string | false | null;
}

interface BunSocketHandler {
  binaryType: "uint8array";
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
  handshake?(socket: BunSocket, success: boolean, error: Error | null): void;
}

interface BunSocketListener {
  stop(closeActiveConnections?: boolean): void;
  reload(options: { socket: BunSocketHandler }): void;
  readonly port?: number;
  readonly hostname?: string;
  readonly unix?: string;
}

type BunListenOptions =
  & { allowHalfOpen: boolean; socket: BunSocketHandler }
  & (
    | {
      hostname: string;
      port: number;
      reusePort?: boolean;
      tls?: { cert: string; key: string; ALPNProtocols?: ArrayBuffer };
    }
    | { unix: string }
  );

interface BunApi {
  listen(options: BunListenOptions): BunSocketListener;
}

function bun(): BunApi {
  return (globalThis as unknown as { Bun: BunApi }).Bun;
}

// Past this many unread bytes the socket is paused.
const HIGH_WATER = 64 * 1024;

interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

function closedError(): Error {
  return cannotWrite("it is closed");
}

class BunTransport implements ConnectionTransport {
  readonly localAddr: Addr;
  readonly remoteAddr: Addr;
  alpnProtocol: string | null = null;
  #socket: BunSocket;
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #paused = false;
  #reader: Settle<Uint8Array | null> | null = null;
  // Where a pending readInto() puts the bytes; null for a pending read().
  #into: Uint8Array | null = null;
  #eof = false;
  #failure: { error: unknown } | null = null;
  #gone = false;
  #closed = false;
  #unwritten: Uint8Array | null = null;
  #writer: Settle<void> | null = null;

  constructor(socket: BunSocket, localAddr: Addr, remoteAddr: Addr) {
    this.#socket = socket;
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#unqueue(chunk.length);
      return Promise.resolve(chunk);
    }
    return this.#wait();
  }

  // Copies straight from the socket's chunk into the caller's buffer,
  // keeping what does not fit at the head of the queue.
  readInto(buffer: Uint8Array): Promise<number | null> {
    const chunk = this.#chunks[0];
    if (chunk === undefined) {
      this.#into = buffer;
      return this.#wait() as Promise<unknown> as Promise<number | null>;
    }
    const n = copy(chunk, buffer);
    if (n === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    this.#unqueue(n);
    return Promise.resolve(n);
  }

  #unqueue(bytes: number): void {
    this.#queued -= bytes;
    if (this.#paused && this.#queued < HIGH_WATER && !this.#gone) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  #wait(): Promise<Uint8Array | null> {
    if (this.#closed || this.#eof) return Promise.resolve(null);
    if (this.#failure) return Promise.reject(this.#failure.error);
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
    });
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#closed || this.#gone) return Promise.reject(closedError());
    const written = this.#socket.write(chunk);
    if (written === chunk.length) return Promise.resolve();
    if (written < 0) return Promise.reject(closedError());
    this.#unwritten = chunk.subarray(written);
    return new Promise((resolve, reject) => {
      this.#writer = { resolve, reject };
    });
  }

  closeWrite(): Promise<void> {
    if (!this.#closed && !this.#gone) this.#socket.shutdown();
    return Promise.resolve();
  }

  setNoDelay(on: boolean): void {
    if (this.localAddr.transport === "tcp" && !this.#gone) {
      this.#socket.setNoDelay(on);
    }
  }

  setKeepAlive(on: boolean): void {
    if (this.localAddr.transport === "tcp" && !this.#gone) {
      this.#socket.setKeepAlive(on);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    this.#settleReader(null);
    this.#failWriter();
    if (!this.#gone) this.#socket.end();
  }

  onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    const reader = this.#reader;
    if (reader !== null) {
      this.#reader = null;
      const into = this.#into;
      if (into === null) {
        reader.resolve(chunk);
        return;
      }
      this.#into = null;
      const n = copy(chunk, into);
      (reader as Settle<unknown>).resolve(n);
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (!this.#paused && this.#queued >= HIGH_WATER) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  onDrain(): void {
    const rest = this.#unwritten;
    if (rest === null || this.#closed) return;
    const written = this.#socket.write(rest);
    if (written < 0) {
      this.#failWriter();
    } else if (written === rest.length) {
      this.#unwritten = null;
      const writer = this.#writer;
      this.#writer = null;
      writer?.resolve();
    } else {
      this.#unwritten = rest.subarray(written);
    }
  }

  onEnd(): void {
    this.#eof = true;
    if (this.#chunks.length === 0) this.#settleReader(null);
  }

  onClose(cause?: Error): void {
    this.#gone = true;
    const error = cause && toConnectionError(cause, "use the connection");
    if (error !== undefined && !this.#closed) {
      this.#failure = { error };
      const reader = this.#reader;
      this.#reader = null;
      this.#into = null;
      reader?.reject(error);
    } else {
      this.onEnd();
    }
    this.#failWriter(error);
  }

  #settleReader(value: null): void {
    const reader = this.#reader;
    this.#reader = null;
    this.#into = null;
    reader?.resolve(value);
  }

  // The error is made only for a write that waits: closing is common, a
  // stack trace is not cheap.
  #failWriter(error?: unknown): void {
    this.#unwritten = null;
    const writer = this.#writer;
    if (writer === null) return;
    this.#writer = null;
    writer.reject(error ?? closedError());
  }
}

// Copies what fits of `chunk` into `buffer`; returns how much that was.
function copy(chunk: Uint8Array, buffer: Uint8Array): number {
  if (chunk.length <= buffer.length) {
    buffer.set(chunk);
    return chunk.length;
  }
  buffer.set(chunk.subarray(0, buffer.length));
  return buffer.length;
}

function transportOf(socket: BunSocket): BunTransport | null {
  // Sockets a listener had before add() took it over carry someone else's data.
  return socket.data instanceof BunTransport ? socket.data : null;
}

// An IP address other than a wildcard (a listener added with a name, such
// as "localhost", reports that name).
function isSpecificIp(hostname: string): boolean {
  return hostname !== "0.0.0.0" && hostname !== "::" && isIpLiteral(hostname);
}

const UNNAMED: Addr = Object.freeze({ transport: "unix", path: "" });

class BunListener implements RawListener {
  readonly addr: Addr;
  #listener: BunSocketListener;
  // Accepted connections nobody took yet, failed TLS handshakes, and the
  // handshakes under way (Bun accepts on its own: every socket is pushed).
  #queue: AcceptQueue<BunTransport>;
  // Bound to one IP address, every connection's local address is that one,
  // and asking the socket for it costs a system call per connection. The
  // local port is always the listener's: an accepted socket shares it.
  #fixedLocal: boolean;
  #tls: boolean;

  constructor(
    listen: (handler: BunSocketHandler) => BunSocketListener,
    handshakeTimeoutMs: number | null = null,
  ) {
    this.#tls = handshakeTimeoutMs !== null;
    this.#queue = new AcceptQueue(handshakeTimeoutMs ?? Infinity);
    const handler: BunSocketHandler = {
      binaryType: "uint8array",
      open: (socket) => this.#onOpen(socket),
      data: (socket, data) => transportOf(socket)?.onData(data),
      drain: (socket) => transportOf(socket)?.onDrain(),
      end: (socket) => transportOf(socket)?.onEnd(),
      close: (socket, error) => this.#onClose(socket, error),
      error: (socket, error) => this.#onClose(socket, error),
    };
    // With this handler, `open` comes before the handshake, so that a
    // failed one is seen (and reported) rather than silently dropped.
    if (this.#tls) {
      handler.handshake = (socket, success, error) =>
        this.#onHandshake(socket, success, error);
    }
    this.#listener = listen(handler);
    const { unix, hostname, port } = this.#listener;
    this.addr = unix !== undefined && unix !== ""
      ? { transport: "unix", path: unix }
      : { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 };
    this.#fixedLocal = this.addr.transport === "tcp" &&
      isSpecificIp(this.addr.hostname);
  }

  accept(): Promise<BunTransport | null> {
    return this.#queue.accept();
  }

  close(): void {
    // Connections Bun accepted that nobody took are what a kernel backlog
    // holds under Deno: they end with the listener. Bun removes the Unix
    // socket's file on stop().
    this.#queue.close();
    this.#listener.stop(false);
  }

  #onOpen(socket: BunSocket): void {
    const { addr } = this;
    const unix = addr.transport === "unix";
    const transport = new BunTransport(
      socket,
      unix ? addr : {
        transport: "tcp",
        hostname: this.#fixedLocal ? addr.hostname : socket.localAddress ?? "",
        port: addr.port,
      },
      unix ? UNNAMED : {
        transport: "tcp",
        hostname: socket.remoteAddress ?? "",
        port: socket.remotePort ?? 0,
      },
    );
    socket.data = transport;
    if (this.#tls) this.#queue.startHandshake(transport);
    else this.#queue.push(transport);
  }

  #onClose(socket: BunSocket, error?: Error): void {
    const transport = transportOf(socket);
    if (transport === null) return;
    transport.onClose(error);
    // A client gone before its TLS handshake completed.
    if (this.#tls && this.#queue.endHandshake(transport)) {
      this.#queue.fail(
        toConnectionError(
          error ?? new Error("closed before the handshake completed"),
          "complete the TLS handshake",
          "EPROTO",
        ),
      );
    }
  }

  #onHandshake(socket: BunSocket, success: boolean, error: Error | null): void {
    const transport = transportOf(socket);
    if (transport === null || !this.#queue.endHandshake(transport)) return;
    if (success) {
      transport.alpnProtocol = socket.alpnProtocol || null;
      this.#queue.push(transport);
      return;
    }
    transport.close();
    this.#queue.fail(
      toConnectionError(
        error ?? new Error("TLS handshake failed"),
        "complete the TLS handshake",
        "EPROTO",
      ),
    );
  }
}

function isBunListener(value: object): value is BunSocketListener {
  const candidate = value as Partial<BunSocketListener>;
  return typeof candidate.stop === "function" &&
    typeof candidate.reload === "function" &&
    (typeof candidate.port === "number" || typeof candidate.unix === "string");
}

/** Bun's network layer. */
export const bunNet: NetRuntime = {
  listen(addr: BindAddr): RawListener {
    if (addr.transport === "unix") {
      return new BunListener((socket) =>
        bun().listen({ unix: addr.path, allowHalfOpen: true, socket })
      );
    }
    const { hostname, port, tls } = addr;
    return new BunListener(
      (socket) =>
        bun().listen({
          hostname,
          port,
          reusePort: addr.reusePort === true,
          allowHalfOpen: true,
          socket,
          ...(tls === undefined ? {} : {
            tls: {
              cert: tls.cert,
              key: tls.key,
              ...(tls.alpnProtocols === undefined ? {} : {
                ALPNProtocols: alpnWireFormat(tls.alpnProtocols)
                  .buffer as ArrayBuffer,
              }),
            },
          }),
        }),
      tls?.handshakeTimeoutMs ?? null,
    );
  },
  adopt(listener: object): RawListener | null {
    if (!isBunListener(listener)) return null;
    return new BunListener((socket) => {
      listener.reload({ socket });
      return listener;
    });
  },
  adoptable: "a listener from Bun.listen (TCP or Unix)",
};
