// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode Connection}: one accepted socket, the same shape on Deno and on
 * Bun: `Deno.Conn`'s `read`/`write` methods, and web streams when asked.
 *
 * Guarantees:
 * - `read(buffer)` and `write(data)` are the fast path: no stream is made
 *   for a connection used only through them. Under Deno `read` reads
 *   straight into the caller's buffer. `write` resolves once the kernel
 *   took every byte. Calls of each may overlap: they are served in order.
 * - `readable` and `writable` are created on first access. Mixing them
 *   with `read`/`write` loses and repeats no byte: bytes `read` took never
 *   reach `readable`, bytes `readable` read ahead (for a {@linkcode watch})
 *   or handed out in part reach the next `read`. `read()` while `readable`
 *   is locked, and `write()` or `closeWrite()` while `writable` is, reject
 *   with a `TypeError`.
 * - `readable` yields the bytes in the order they arrived, as `Uint8Array`
 *   chunks that belong to the reader (never reused by iox). It reads only
 *   when asked: at most one chunk is read ahead, and only for a
 *   {@linkcode watch} on `IN`, `HUP` or `ERR`. Under Bun the socket is paused
 *   once 64 KiB wait unread, so a slow reader slows the peer down instead of
 *   filling memory.
 * - A write on `writable` resolves once the kernel took every byte of it, so
 *   awaiting writes (or `pipeTo`) respects the peer's pace. A TCP
 *   connection sends small writes at once on both runtimes (no Nagle
 *   delay: Bun sets `TCP_NODELAY` on every socket, iox under Deno before
 *   the first write Nagle's algorithm could hold) unless
 *   `setNoDelay(false)` asks for it. Closing `writable`, or `closeWrite()`,
 *   shuts down the sending side (the peer reads the end of the stream) and
 *   leaves reading open.
 * - Once the reading side is done (end of stream, error or cancel) and the
 *   sending side is done (closed, aborted, or errored by a failed write),
 *   the connection closes itself: an echo written as
 *   `conn.readable.pipeTo(conn.writable)` releases its socket when the peer
 *   hangs up or goes away.
 * - `readable.pipeTo(writable)` between connections (one connection's own,
 *   as in an echo, or two, as in a proxy) without options moves the bytes
 *   from socket to socket without passing them through the streams, with
 *   `pipeTo`'s outcome: the end of the stream closes `writable`, a failed
 *   read aborts it, a failed write cancels `readable`, a `writable` closed
 *   or aborted before the pipe cancels `readable`, and the promise settles
 *   the same way. It holds both streams' locks until it settles, as
 *   `pipeTo` does, so every reader, writer and other pipe is refused,
 *   whoever asks. Afterwards the streams are closed (or errored) and report
 *   unlocked, as `pipeTo` leaves them; their locks are released when they
 *   are next used through their own methods, sparing the cost of the
 *   release when nobody looks again, so until then other code handed the
 *   stream itself (another stream's `pipeTo`, a `Response` body) finds it
 *   locked. Streams already used or locked, any other destination, or pipe
 *   options take the standard `pipeTo`.
 * - Errors: a failed read or write on a socket rejects with a
 *   {@linkcode ConnectionError} whose `code` names the failure
 *   (`"ECONNRESET"`, `"EPIPE"`, ... see {@linkcode ConnectionErrorCode}), on
 *   Deno and Bun alike; the runtime's own error is its `cause`. A write
 *   after `close()` or `closeWrite()` is `"EPIPE"`.
 * - With `idleTimeoutMs`, a connection on which nothing was read or
 *   written for that long is closed, and a pending or later read rejects
 *   with a `DOMException` named `"TimeoutError"`. Data that arrives and is
 *   read, or a write that is taken, counts as activity, so a slow client
 *   that keeps sending is never cut. It is closed at most a quarter of the
 *   timeout late.
 * - `close()` is idempotent and immediate: the socket is released, a
 *   pending or later read reports the end of the stream, a later write
 *   rejects, and every {@linkcode watch} on the connection is removed
 *   without being called.
 *
 * @module
 */

import { Channel } from "./_channel.ts";
import { internals } from "./_internals.ts";
import type { Addr, ConnectionTransport } from "./transport.ts";
import { argumentError, assertMs, optionsObject } from "../_util/validate.ts";

export type {
  Addr,
  ConnectionTransport,
  NetAddr,
  UnixAddr,
} from "./transport.ts";

/** Options for {@linkcode Connection}. */
export interface ConnectionOptions {
  /**
   * Closes the connection once nothing was read or written for this many
   * milliseconds; a pending read then rejects with a `DOMException` named
   * `"TimeoutError"`. `Infinity`: never.
   *
   * @default {Infinity}
   */
  idleTimeoutMs?: number;
}

/**
 * One accepted socket: `read`/`write` as `Deno.Conn`, or `readable` and
 * `writable` streams, the two addresses and `close()`, the same on Deno and
 * Bun. See the module documentation for its guarantees.
 *
 * @example Echo one connection with read and write
 * ```ts
 * import { NetListener } from "@iox/iox/listener";
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 *
 * await using listener = new NetListener();
 * const [addr] = await listener.open("127.0.0.1:0");
 * assert.equal(addr?.transport, "tcp");
 * const client = connect(addr.port, "127.0.0.1");
 * client.end("ping");
 * await using conn = await listener.waitClient();
 * assert.equal(conn.remoteAddr.transport, "tcp");
 * const buffer = new Uint8Array(1024);
 * for (let n; (n = await conn.read(buffer)) !== null;) {
 *   await conn.write(buffer.subarray(0, n));
 * }
 * await conn.closeWrite();
 * let echo = "";
 * for await (const chunk of client) echo += chunk;
 * assert.equal(echo, "ping");
 * ```
 *
 * @example Echo one connection with its streams
 * ```ts
 * import { NetListener } from "@iox/iox/listener";
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 *
 * await using listener = new NetListener();
 * const [addr] = await listener.open("127.0.0.1:0");
 * assert.equal(addr?.transport, "tcp");
 * const client = connect(addr.port, "127.0.0.1");
 * client.end("ping");
 * const conn = await listener.waitClient();
 * await conn.readable.pipeTo(conn.writable);
 * let echo = "";
 * for await (const chunk of client) echo += chunk;
 * assert.equal(echo, "ping");
 * ```
 */
export class Connection implements AsyncDisposable {
  static {
    internals.channel = (conn) => conn.#channel;
    internals.accept = (transport, options, start, onClose) => {
      const conn = new Connection(transport, options);
      // Still inside the class: remoteAddr is read-only to everyone else.
      if (start?.remoteAddr) {
        (conn as { remoteAddr: Addr }).remoteAddr = start.remoteAddr;
      }
      conn.#channel.accepted(start?.rest ?? null, onClose);
      return conn;
    };
  }

  /** This side's address. */
  readonly localAddr: Addr;
  /** The peer's address. */
  readonly remoteAddr: Addr;
  #channel: Channel;

  /**
   * Wraps a transport. {@linkcode NetListener} does this for every accepted
   * socket; call it yourself only to put another byte source behind the same
   * interface.
   *
   * @param transport The bytes underneath.
   * @param options The `idleTimeoutMs`.
   * @throws {TypeError} If `idleTimeoutMs` is not a number.
   * @throws {RangeError} If `idleTimeoutMs` is not positive.
   */
  constructor(transport: ConnectionTransport, options?: ConnectionOptions) {
    const { idleTimeoutMs = Infinity } = optionsObject(
      options,
      "create connection",
    );
    assertMs(
      idleTimeoutMs,
      "Cannot create connection as 'idleTimeoutMs'",
      false,
    );
    this.localAddr = transport.localAddr;
    this.remoteAddr = transport.remoteAddr;
    this.#channel = new Channel(transport, idleTimeoutMs);
  }

  /** The protocol TLS's ALPN chose, or `null` (none, or not TLS). */
  get alpnProtocol(): string | null {
    return this.#channel.transport.alpnProtocol ?? null;
  }

  /** The bytes from the peer, in order; ends when the peer shuts down. */
  get readable(): ReadableStream<Uint8Array> {
    return this.#channel.readable();
  }

  /** The bytes to the peer; closing it shuts down the sending side. */
  get writable(): WritableStream<Uint8Array> {
    return this.#channel.writable();
  }

  /**
   * Reads the next bytes into `buffer`, as `Deno.Conn.read`.
   *
   * @example Usage
   * ```ts
   * import { Connection } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   *
   * const addr = { transport: "unix", path: "" } as const;
   * const chunks = [new Uint8Array([1, 2, 3])];
   * const conn = new Connection({
   *   localAddr: addr,
   *   remoteAddr: addr,
   *   read: () => Promise.resolve(chunks.shift() ?? null),
   *   write: () => Promise.resolve(),
   *   closeWrite: () => Promise.resolve(),
   *   close: () => {},
   * });
   * const buffer = new Uint8Array(2);
   * assert.equal(await conn.read(buffer), 2);
   * assert.equal(await conn.read(buffer), 1);
   * assert.equal(buffer[0], 3);
   * assert.equal(await conn.read(buffer), null);
   * ```
   *
   * @param buffer Where to put the bytes.
   * @returns How many bytes were read (0 only for an empty `buffer`), or
   * `null` at the end of the stream and after `close()`.
   * @throws {TypeError} If `buffer` is not a `Uint8Array` or `readable` is
   * locked (as a rejection).
   * @throws {ConnectionError} If the connection failed (as a rejection).
   * @throws {DOMException} Named "TimeoutError", after the idle timeout.
   */
  read(buffer: Uint8Array): Promise<number | null> {
    if (!(buffer instanceof Uint8Array)) {
      return Promise.reject(
        argumentError(
          "Cannot read from the connection as 'buffer'",
          "a Uint8Array",
          buffer,
        ),
      );
    }
    return this.#channel.read(buffer);
  }

  /**
   * Writes every byte of `data`, as `Deno.Conn.write` but resolving only
   * once the kernel took all of them.
   *
   * @example Usage
   * ```ts
   * import { Connection } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   *
   * const addr = { transport: "unix", path: "" } as const;
   * const sent: number[] = [];
   * const conn = new Connection({
   *   localAddr: addr,
   *   remoteAddr: addr,
   *   read: () => Promise.resolve(null),
   *   write: (chunk) => {
   *     sent.push(...chunk);
   *     return Promise.resolve();
   *   },
   *   closeWrite: () => Promise.resolve(),
   *   close: () => {},
   * });
   * assert.equal(await conn.write(new Uint8Array([1, 2])), 2);
   * assert.deepEqual(sent, [1, 2]);
   * ```
   *
   * @param data The bytes to send.
   * @returns `data.length`, once every byte was taken.
   * @throws {TypeError} If `data` is not a `Uint8Array` or `writable` is
   * locked (as a rejection).
   * @throws {ConnectionError} If the connection cannot send, with `code`
   * `"EPIPE"` after `close()` or `closeWrite()` (as a rejection).
   */
  write(data: Uint8Array): Promise<number> {
    if (!(data instanceof Uint8Array)) {
      return Promise.reject(
        argumentError(
          "Cannot write to the connection as 'data'",
          "a Uint8Array",
          data,
        ),
      );
    }
    return this.#channel.write(data);
  }

  /**
   * Shuts down the sending side once the writes so far were taken: the
   * peer reads the end of the stream; reading goes on. Idempotent.
   *
   * @example Usage
   * ```ts
   * import { Connection } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   *
   * let shutdowns = 0;
   * const addr = { transport: "unix", path: "" } as const;
   * const conn = new Connection({
   *   localAddr: addr,
   *   remoteAddr: addr,
   *   read: () => Promise.resolve(null),
   *   write: () => Promise.resolve(),
   *   closeWrite: () => Promise.resolve(void shutdowns++),
   *   close: () => {},
   * });
   * await conn.closeWrite();
   * await conn.closeWrite();
   * assert.equal(shutdowns, 1);
   * await assert.rejects(conn.write(new Uint8Array(1)), { code: "EPIPE" });
   * ```
   *
   * @returns A promise that resolves once the shutdown was sent.
   * @throws {TypeError} If `writable` is locked (as a rejection).
   */
  closeWrite(): Promise<void> {
    return this.#channel.closeWrite();
  }

  /**
   * Sends small writes at once (`true`, what iox does by default) or lets
   * Nagle's algorithm gather them (`false`). No-op for a Unix socket.
   *
   * @example Usage
   * ```ts
   * import { Connection } from "@iox/iox/listener";
   *
   * const addr = { transport: "unix", path: "" } as const;
   * const conn = new Connection({
   *   localAddr: addr,
   *   remoteAddr: addr,
   *   read: () => Promise.resolve(null),
   *   write: () => Promise.resolve(),
   *   closeWrite: () => Promise.resolve(),
   *   close: () => {},
   * });
   * conn.setNoDelay(false);
   * ```
   *
   * @param on Whether small writes go out at once.
   * @throws {TypeError} If `on` is not a boolean.
   */
  setNoDelay(on = true): void {
    checkBoolean(on, "set no-delay");
    this.#channel.transport.setNoDelay?.(on);
  }

  /**
   * Turns the kernel's TCP keep-alive probes on or off. No-op for a Unix
   * socket.
   *
   * @example Usage
   * ```ts
   * import { Connection } from "@iox/iox/listener";
   *
   * const addr = { transport: "unix", path: "" } as const;
   * const conn = new Connection({
   *   localAddr: addr,
   *   remoteAddr: addr,
   *   read: () => Promise.resolve(null),
   *   write: () => Promise.resolve(),
   *   closeWrite: () => Promise.resolve(),
   *   close: () => {},
   * });
   * conn.setKeepAlive();
   * ```
   *
   * @param on Whether to probe an idle peer.
   * @throws {TypeError} If `on` is not a boolean.
   */
  setKeepAlive(on = true): void {
    checkBoolean(on, "set keep-alive");
    this.#channel.transport.setKeepAlive?.(on);
  }

  /**
   * Releases the socket now. Idempotent. A pending or later read reports the
   * end of the stream; a later write rejects; every watch is removed.
   *
   * @example Usage
   * ```ts
   * import { Connection } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   *
   * let closes = 0;
   * const addr = { transport: "unix", path: "" } as const;
   * const conn = new Connection({
   *   localAddr: addr,
   *   remoteAddr: addr,
   *   read: () => Promise.resolve(null),
   *   write: () => Promise.resolve(),
   *   closeWrite: () => Promise.resolve(),
   *   close: () => void closes++,
   * });
   * conn.close();
   * conn.close();
   * assert.equal(closes, 1);
   * assert.deepEqual(await conn.readable.getReader().read(), { done: true, value: undefined });
   * ```
   */
  close(): void {
    this.#channel.close();
  }

  /**
   * Same as {@linkcode Connection.close}, for `await using`.
   *
   * @returns A resolved promise.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

function checkBoolean(on: unknown, action: string): void {
  if (typeof on !== "boolean") {
    throw argumentError(`Cannot ${action} as 'on'`, "a boolean", on);
  }
}
