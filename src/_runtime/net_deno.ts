// Copyright 2026 the iox authors. MIT license.
// Deno's sockets: Deno.listen for TCP and Unix, Deno.Conn's read/write ops.

import type { Addr, ConnectionTransport } from "../net/transport.ts";
import {
  cannotWrite,
  type ConnectionErrorCode,
  toConnectionError,
} from "../net/connection_error.ts";
import type { BindAddr, NetRuntime, RawListener } from "./net.ts";
import { AcceptQueue } from "./accept_queue.ts";

// One read returns at most this much. A read borrows a buffer from a small
// shared pool for as long as the runtime fills it, then hands out a copy of
// exactly the bytes read and gives the buffer back: short connections do not
// each allocate (and zero) a buffer of their own, and an idle connection
// holds none beyond its one pending read.
const READ_SIZE = 16 * 1024;
const POOL_SIZE = 32;
const pool: Uint8Array[] = [];

function borrow(): Uint8Array {
  return pool.pop() ?? new Uint8Array(READ_SIZE);
}

function giveBack(buffer: Uint8Array): void {
  if (pool.length < POOL_SIZE) pool.push(buffer);
}

function toAddr(addr: Deno.Addr): Addr {
  if ("hostname" in addr) {
    return { transport: "tcp", hostname: addr.hostname, port: addr.port };
  }
  // Deno reports an unnamed peer's path as null despite its types.
  return { transport: "unix", path: ("path" in addr && addr.path) || "" };
}

// Closes a socket or listener that the runtime (or, for an added listener,
// its previous owner) may have closed already: then nothing is left to
// release, and Deno's BadResource says only that.
function release(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed.
  }
}

// The most a first write may carry and still leave as one segment on any
// path: the smallest MSS a TCP peer may assume (RFC 9293).
const FIRST_SEGMENT = 536;

// Deno's error classes, by the code they carry as ConnectionErrors; a
// BadResource is a socket closed under a pending call.
function codeOf(error: unknown): ConnectionErrorCode {
  const errors = Deno.errors;
  if (error instanceof errors.ConnectionReset) return "ECONNRESET";
  if (error instanceof errors.BrokenPipe) return "EPIPE";
  if (error instanceof errors.BadResource) return "EPIPE";
  if (error instanceof errors.ConnectionAborted) return "ECONNABORTED";
  if (error instanceof errors.TimedOut) return "ETIMEDOUT";
  if (error instanceof errors.InvalidData) return "EPROTO";
  return "EIO";
}

class DenoTransport implements ConnectionTransport {
  readonly localAddr: Addr;
  readonly remoteAddr: Addr;
  readonly alpnProtocol: string | null;
  #conn: Deno.Conn;
  #closed = false;
  // Bun's sockets never delay small writes (TCP_NODELAY); neither do these,
  // so a write is sent when it is taken on both runtimes. Nagle's algorithm
  // holds a small segment only while earlier bytes await acknowledgement,
  // which a connection's first write never does: TCP_NODELAY is set just
  // before a write that could be held (any later one, or a first one too
  // big for one segment), and a connection that writes once (an echo, a
  // single response) spares the system call.
  #nagle: boolean;
  #wrote = false;

  constructor(conn: Deno.Conn, alpnProtocol: string | null = null) {
    this.#conn = conn;
    this.alpnProtocol = alpnProtocol;
    this.#nagle = conn.localAddr.transport === "tcp" &&
      typeof (conn as Deno.TcpConn).setNoDelay === "function";
    this.localAddr = toAddr(conn.localAddr);
    this.remoteAddr = toAddr(conn.remoteAddr);
  }

  read(): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.resolve(null);
    const buffer = borrow();
    return this.#conn.read(buffer).then((n) => {
      const chunk = n === null ? null : buffer.slice(0, n);
      giveBack(buffer);
      return chunk;
    }, (error) => {
      giveBack(buffer);
      return this.#readFailed(error);
    });
  }

  readInto(buffer: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.resolve(null);
    return this.#conn.read(buffer).catch(this.#onReadError);
  }

  #onReadError = (error: unknown): null => this.#readFailed(error);

  #readFailed(error: unknown): null {
    // A read cut short by our own close() is the end of the stream.
    if (this.#closed) return null;
    throw toConnectionError(error, "read from the connection", codeOf(error));
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(cannotWrite("it is closed"));
    if (this.#nagle && (this.#wrote || chunk.length > FIRST_SEGMENT)) {
      this.#nagle = false;
      this.#noDelay(true);
    }
    this.#wrote = true;
    return this.#conn.write(chunk).then(
      (n) => n < chunk.length ? this.write(chunk.subarray(n)) : undefined,
      this.#onWriteError,
    );
  }

  #onWriteError = (error: unknown): never => {
    throw toConnectionError(error, "write to the connection", codeOf(error));
  };

  closeWrite(): Promise<void> {
    return this.#conn.closeWrite().catch((error) => {
      throw toConnectionError(error, "shut down the connection", codeOf(error));
    });
  }

  setNoDelay(on: boolean): void {
    // The caller's choice from now on: no automatic switch.
    if (this.localAddr.transport !== "tcp") return;
    this.#nagle = false;
    this.#noDelay(on);
  }

  setKeepAlive(on: boolean): void {
    if (typeof (this.#conn as Deno.TcpConn).setKeepAlive !== "function") {
      return;
    }
    try {
      (this.#conn as Deno.TcpConn).setKeepAlive(on);
    } catch {
      // A broken socket: its next read or write says so.
    }
  }

  #noDelay(on: boolean): void {
    // A TLS connection has no such option under Deno.
    if (typeof (this.#conn as Deno.TcpConn).setNoDelay !== "function") return;
    try {
      (this.#conn as Deno.TcpConn).setNoDelay(on);
    } catch {
      // A socket that cannot take the option is broken: the write says so.
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    release(this.#conn);
  }
}

class DenoListener implements RawListener {
  readonly addr: Addr;
  #listener: Deno.Listener;
  #closed = false;

  constructor(listener: Deno.Listener) {
    this.#listener = listener;
    this.addr = toAddr(listener.addr);
  }

  async accept(): Promise<DenoTransport | null> {
    if (this.#closed) return null;
    try {
      return new DenoTransport(await this.#listener.accept());
    } catch (error) {
      // Closed by us, or (for an added listener) by its previous owner.
      if (this.#closed || error instanceof Deno.errors.BadResource) return null;
      throw error;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Deno removes a Unix socket's file when its listener closes.
    release(this.#listener);
  }
}

// A TLS listener: each accepted connection completes its handshake before
// it is handed out, without holding up the accepts behind it (a client
// that never finishes its handshake would otherwise stop the listener).
// While someone waits, connections are accepted and their handshakes run
// side by side; the first to complete settles the wait, the others queue.
class DenoTlsListener implements RawListener {
  readonly addr: Addr;
  #listener: Deno.TlsListener;
  #closed = false;
  #accepting = false;
  #queue: AcceptQueue<DenoTransport>;

  constructor(listener: Deno.TlsListener, handshakeTimeoutMs: number) {
    this.#listener = listener;
    this.#queue = new AcceptQueue(handshakeTimeoutMs);
    this.addr = toAddr(listener.addr);
  }

  accept(): Promise<DenoTransport | null> {
    const accepted = this.#queue.accept();
    void this.#acceptWhileWaited();
    return accepted;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    release(this.#listener);
    this.#queue.close();
  }

  async #acceptWhileWaited(): Promise<void> {
    if (this.#accepting) return;
    this.#accepting = true;
    try {
      while (this.#queue.waited) {
        let conn: Deno.TlsConn;
        try {
          conn = await this.#listener.accept();
        } catch (error) {
          if (this.#closed || error instanceof Deno.errors.BadResource) {
            this.close();
            return;
          }
          this.#queue.fail(error);
          continue;
        }
        void this.#handshake(conn);
      }
    } finally {
      this.#accepting = false;
    }
  }

  async #handshake(conn: Deno.TlsConn): Promise<void> {
    // A handshake on a socket closed under it may never settle: the queue's
    // timer reports the timeout itself.
    this.#queue.startHandshake(conn);
    let transport: DenoTransport;
    try {
      transport = new DenoTransport(
        conn,
        (await conn.handshake()).alpnProtocol,
      );
    } catch (error) {
      // Timed out or closed with the listener meanwhile: already dealt with.
      if (!this.#queue.endHandshake(conn)) return;
      conn.close();
      this.#queue.fail(
        toConnectionError(error, "complete the TLS handshake", "EPROTO"),
      );
      return;
    }
    if (this.#queue.endHandshake(conn)) this.#queue.push(transport);
  }
}

function isDenoListener(value: object): value is Deno.Listener {
  const candidate = value as Partial<Deno.Listener>;
  const transport = candidate.addr?.transport;
  return typeof candidate.accept === "function" &&
    typeof candidate.close === "function" &&
    (transport === "tcp" || transport === "unix");
}

/** Deno's network layer. */
export const denoNet: NetRuntime = {
  listen(addr: BindAddr): RawListener {
    if (addr.transport === "unix") {
      return new DenoListener(
        Deno.listen({ transport: "unix", path: addr.path }),
      );
    }
    const { hostname, port, tls } = addr;
    // Asked for only when wanted: without --unstable-net, Deno exits the
    // process at the mere sight of it.
    const shared = addr.reusePort ? { reusePort: true } : {};
    if (tls === undefined) {
      return new DenoListener(Deno.listen({ hostname, port, ...shared }));
    }
    const { cert, key, alpnProtocols, handshakeTimeoutMs } = tls;
    return new DenoTlsListener(
      Deno.listenTls({
        hostname,
        port,
        cert,
        key,
        ...(alpnProtocols === undefined ? {} : { alpnProtocols }),
        ...shared,
      }),
      handshakeTimeoutMs,
    );
  },
  adopt(listener: object): RawListener | null {
    return isDenoListener(listener) ? new DenoListener(listener) : null;
  },
  adoptable: "a Deno.Listener (TCP or Unix)",
};
