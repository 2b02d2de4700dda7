// Copyright 2026 the iox authors. MIT license.
// Deno's sockets: Deno.listen for TCP and Unix, Deno.Conn's read/write ops.

import type { Addr, ConnectionTransport } from "../net/connection.ts";
import type { BindAddr, NetRuntime, RawListener } from "./net.ts";

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

// The most a first write may carry and still leave as one segment on any
// path: the smallest MSS a TCP peer may assume (RFC 9293).
const FIRST_SEGMENT = 536;

class DenoTransport implements ConnectionTransport {
  readonly localAddr: Addr;
  readonly remoteAddr: Addr;
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

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#nagle = conn.localAddr.transport === "tcp";
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
      // A read cut short by our own close() is the end of the stream.
      if (this.#closed) return null;
      throw error;
    });
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#nagle && (this.#wrote || chunk.length > FIRST_SEGMENT)) {
      this.#nagle = false;
      try {
        (this.#conn as Deno.TcpConn).setNoDelay(true);
      } catch {
        // A socket that cannot take the option is broken: the write says so.
      }
    }
    this.#wrote = true;
    return this.#conn.write(chunk).then((n) =>
      n < chunk.length ? this.write(chunk.subarray(n)) : undefined
    );
  }

  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime: nothing left to release.
    }
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
    try {
      // Deno removes a Unix socket's file when its listener closes.
      this.#listener.close();
    } catch {
      // Closed by its previous owner: nothing left to release.
    }
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
    return new DenoListener(
      addr.transport === "unix"
        ? Deno.listen({ transport: "unix", path: addr.path })
        : Deno.listen({
          hostname: addr.hostname,
          port: addr.port,
          // Asked for only when wanted: without --unstable-net, Deno exits
          // the process at the mere sight of it.
          ...(addr.reusePort ? { reusePort: true } : {}),
        }),
    );
  },
  adopt(listener: object): RawListener | null {
    return isDenoListener(listener) ? new DenoListener(listener) : null;
  },
  adoptable: "a Deno.Listener (TCP or Unix)",
};
