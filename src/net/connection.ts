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

import {
  ERR,
  HUP,
  IN,
  internals,
  type Observation,
  OUT,
} from "./_internals.ts";
import {
  ConnectionReadable,
  ConnectionWritable,
  lockedError,
} from "./_streams.ts";
import { type IdleMember, watchIdle } from "./_idle.ts";
import { cannotWrite } from "./connection_error.ts";
import type { Addr, ConnectionTransport } from "./transport.ts";
import {
  assertTimeout,
  formatValue,
  optionsObject,
} from "../_util/validate.ts";

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

// A direction's stream: never used, used, or held by a direct pipe.
const FRESH = 0;
const USED = 1;
const PIPED = 2;
type Use = typeof FRESH | typeof USED | typeof PIPED;

// Where a direct pipe failed: reading, writing, or at a destination closed
// or aborted before it started.
const READ = 0;
const WRITE = 1;
const DESTINATION = 2;
type PipeSide = typeof READ | typeof WRITE | typeof DESTINATION;

const noop = () => {};

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
    internals.observe = (conn, onChange) => conn.#observe(onChange);
    internals.use = (conn, out, action) => {
      if ((out ? conn.#writeUse : conn.#readUse) === PIPED) {
        throw lockedError(action);
      }
      if (out) conn.#writeUse = USED;
      else conn.#readUse = USED;
      conn.#release(out);
    };
    internals.release = (conn, out) => conn.#release(out);
    internals.pipeTo = (from, to, readable, writable, options) => {
      if (to.#writeUse === PIPED) throw lockedError("pipe to the stream");
      if (
        options === undefined && from.#readUse === FRESH &&
        to.#writeUse === FRESH && !readable.locked && !writable.locked
      ) return from.#pipe(to, readable, writable);
      // The standard pipeTo sees the writable as its own methods do.
      to.#release(true);
      return null;
    };
  }

  /** This side's address. */
  readonly localAddr: Addr;
  /** The peer's address. */
  readonly remoteAddr: Addr;
  #transport: ConnectionTransport;
  #readInto: boolean;
  #readable: ConnectionReadable | undefined;
  #writable: ConnectionWritable | undefined;
  // Bytes read from the transport and not yet handed out.
  #chunk: Uint8Array | null = null;
  // A transport read into #chunk, or one straight into a caller's buffer.
  #reading: Promise<void> | null = null;
  #readingInto: Promise<number | null> | null = null;
  #eof = false;
  #failure: { error: unknown } | null = null;
  #timedOut: DOMException | null = null;
  #readDone = false;
  #writeDone = false;
  #writing: Promise<number> | null = null;
  #shut = false;
  #closed = false;
  #observers: Set<() => void> | null = null;
  #idle: IdleMember | null = null;
  #stopIdle: (() => void) | null = null;
  #readUse: Use = FRESH;
  #writeUse: Use = FRESH;
  #readController: ReadableStreamDefaultController<Uint8Array> | undefined;
  // A direct pipe's reader and writer, which hold the streams' real locks
  // while it runs and after it, until the stream is next used.
  #readLock: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #writeLock: WritableStreamDefaultWriter<Uint8Array> | null = null;
  // Set when the writable's sink is closed: a direct pipe stops at a close it
  // did not ask for (one asked for before it took the lock, carried out once
  // the stream has started). An abort asked for then rejects the pipe's
  // `writer.ready` instead.
  #sinkClosed = false;

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
    assertTimeout(idleTimeoutMs, "Cannot create connection as 'idleTimeoutMs'");
    this.#transport = transport;
    this.#readInto = typeof transport.readInto === "function";
    this.localAddr = transport.localAddr;
    this.remoteAddr = transport.remoteAddr;
    if (idleTimeoutMs !== Infinity) {
      const idle = this.#idle = {
        active: true,
        expire: () => {
          this.#timedOut = new DOMException(
            `Connection closed after ${idleTimeoutMs} ms without reading or writing`,
            "TimeoutError",
          );
          this.close();
        },
      };
      this.#stopIdle = watchIdle(idleTimeoutMs, idle);
    }
  }

  /** The protocol TLS's ALPN chose, or `null` (none, or not TLS). */
  get alpnProtocol(): string | null {
    return this.#transport.alpnProtocol ?? null;
  }

  /** The bytes from the peer, in order; ends when the peer shuts down. */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= new ConnectionReadable(this, {
      start: (controller) => {
        this.#readController = controller;
      },
      pull: (controller) => {
        this.#readUse ||= USED;
        return this.#pull(controller);
      },
      cancel: () => {
        this.#readUse ||= USED;
        this.#chunk = null;
        this.#readSideDone();
      },
    });
  }

  /** The bytes to the peer; closing it shuts down the sending side. */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new ConnectionWritable(this, {
      write: (chunk) => {
        this.#writeUse ||= USED;
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(
            `Cannot write to the connection as a chunk must be a Uint8Array: current value is ${typeof chunk}`,
          );
        }
        // The sink's promise is void: the count is for write().
        return this.#write(chunk) as Promise<unknown> as Promise<void>;
      },
      close: () => {
        this.#writeUse ||= USED;
        this.#sinkClosed = true;
        // After the peer's end of stream a full close sends the same end of
        // stream (every write was taken) without a separate shutdown.
        if (this.#closed || this.#shut || (this.#eof && this.#readDone)) {
          this.#writeSideDone();
          return;
        }
        return this.#shutdown();
      },
      abort: () => {
        this.#writeUse ||= USED;
        this.#writeSideDone();
      },
    });
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
        new TypeError(
          `Cannot read from the connection as 'buffer' must be a Uint8Array: current value is ${typeof buffer}`,
        ),
      );
    }
    const readable = this.#readable;
    if (readable !== undefined) {
      if (readable.locked) {
        return Promise.reject(lockedError("read from the connection"));
      }
      // What a stream's reader left in the stream's queue comes first.
      if (this.#readUse !== FRESH) return this.#readStream(readable, buffer);
    }
    return this.#read(buffer);
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
   *   write: (chunk) => void sent.push(...chunk) ?? Promise.resolve(),
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
        new TypeError(
          `Cannot write to the connection as 'data' must be a Uint8Array: current value is ${typeof data}`,
        ),
      );
    }
    if (this.#writable?.locked) {
      return Promise.reject(lockedError("write to the connection"));
    }
    return this.#write(data);
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
    if (this.#writable?.locked) {
      return Promise.reject(lockedError("shut down the connection"));
    }
    if (this.#shut || this.#closed) return Promise.resolve();
    const writing = this.#writing;
    if (writing !== null) {
      return writing.then(() => this.closeWrite(), () => this.closeWrite());
    }
    return this.#shutdown();
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
    this.#transport.setNoDelay?.(on);
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
    this.#transport.setKeepAlive?.(on);
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
    if (this.#closed) return;
    this.#closed = true;
    this.#chunk = null;
    this.#stopIdle?.();
    this.#transport.close();
    this.#notify();
    this.#observers = null;
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

  #read(buffer: Uint8Array): Promise<number | null> {
    const chunk = this.#chunk;
    if (chunk !== null) return Promise.resolve(this.#take(chunk, buffer));
    if (buffer.length === 0) return Promise.resolve(0);
    if (this.#closed || this.#eof || this.#failure) {
      return this.#ended(() => this.#readSideDone());
    }
    const pending = this.#readingInto ?? this.#reading;
    if (pending !== null) {
      const again = () => this.#read(buffer);
      return pending.then(again, again);
    }
    if (!this.#readInto) return this.#fill().then(() => this.#read(buffer));
    return this.#readingInto = this.#transport.readInto!(buffer).then((n) => {
      this.#readingInto = null;
      if (this.#closed) return this.#ended(noop);
      if (n === null) {
        this.#eof = true;
        this.#readSideDone();
      } else if (this.#idle !== null) this.#idle.active = true;
      this.#notify();
      return n;
    }, (error) => {
      this.#readingInto = null;
      if (this.#closed) return this.#ended(noop);
      this.#fail(error);
      throw error;
    });
  }

  // The outcome of a read once no more bytes will come.
  #ended(done: () => void): Promise<null> {
    const error = this.#timedOut ??
      (this.#closed ? null : this.#failure?.error ?? null);
    done();
    return error === null ? Promise.resolve(null) : Promise.reject(error);
  }

  #take(chunk: Uint8Array, buffer: Uint8Array): number {
    const n = Math.min(chunk.length, buffer.length);
    if (n === chunk.length) {
      buffer.set(chunk);
      this.#chunk = null;
      this.#notify();
    } else {
      buffer.set(chunk.subarray(0, n));
      this.#chunk = chunk.subarray(n);
    }
    return n;
  }

  // read() after a stream's reader used `readable`: through the stream, so
  // that a chunk its pull already queued is not skipped.
  async #readStream(
    readable: ConnectionReadable,
    buffer: Uint8Array,
  ): Promise<number | null> {
    const reader = readable.getReader();
    try {
      const { done, value } = await reader.read();
      if (done) return null;
      const n = Math.min(value.length, buffer.length);
      buffer.set(value.subarray(0, n));
      if (n < value.length) {
        const rest = value.subarray(n);
        const after = this.#chunk;
        this.#chunk = after === null ? rest : concat(rest, after);
      }
      return n;
    } finally {
      reader.releaseLock();
    }
  }

  async #shutdown(): Promise<void> {
    this.#shut = true;
    try {
      await this.#transport.closeWrite();
    } finally {
      this.#writeSideDone();
    }
  }

  // A failed write errors the writable: its side is done. Writes overlap
  // only through write(); they go to the transport one at a time, in order.
  #write(chunk: Uint8Array): Promise<number> {
    if (this.#closed || this.#shut || this.#failure) {
      this.#writeSideDone();
      return Promise.reject(
        this.#failure?.error ??
          cannotWrite(this.#closed ? "it is closed" : "it was shut down"),
      );
    }
    const pending = this.#writing;
    if (pending !== null) {
      const again = () => this.#write(chunk);
      return pending.then(again, again);
    }
    const writing = this.#writing = this.#transport.write(chunk).then(() => {
      if (this.#writing === writing) this.#writing = null;
      if (this.#idle !== null) this.#idle.active = true;
      this.#notify();
      return chunk.length;
    }, (error) => {
      if (this.#writing === writing) this.#writing = null;
      this.#fail(error);
      this.#writeSideDone();
      throw error;
    });
    this.#notify();
    return writing;
  }

  // pipeTo from this connection's readable to `to`'s writable, both unused
  // and unlocked: the chunks go from one transport to the other, and the
  // streams end as pipeTo leaves them. The pipe's reader and writer hold the
  // streams' locks, so no byte is skipped or read twice; they are released
  // when the stream is next used (#release).
  async #pipe(
    to: Connection,
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
  ): Promise<void> {
    const reader = ReadableStream.prototype.getReader.call(
      readable,
    ) as ReadableStreamDefaultReader<Uint8Array>;
    const writer = WritableStream.prototype.getWriter.call(writable);
    this.#readLock = reader;
    this.#readUse = PIPED;
    to.#writeLock = writer;
    to.#writeUse = PIPED;
    let failure: { error: unknown; side: PipeSide } | null = null;
    try {
      // Writes, a close or an abort asked for before the pipe took the
      // writable reach its sink first (once the stream has started): wait
      // for them, as the standard pipe's writes would queue behind them.
      try {
        await writer.ready;
      } catch (error) {
        failure = { error, side: DESTINATION };
      }
      while (failure === null) {
        if (to.#sinkClosed) {
          failure = {
            error: new TypeError(
              "Cannot pipe to the stream as it was closed before the pipe started",
            ),
            side: DESTINATION,
          };
          break;
        }
        const chunk = this.#chunk;
        if (chunk !== null) {
          this.#chunk = null;
          this.#notify();
          try {
            await to.#write(chunk);
          } catch (error) {
            failure = { error, side: WRITE };
            break;
          }
        } else if (this.#closed || this.#eof) {
          break;
        } else if (this.#failure) {
          failure = { error: this.#failure.error, side: READ };
          break;
        } else {
          await this.#fill();
        }
      }
      if (failure === null) {
        this.#readController?.close();
        this.#readSideDone();
        await writer.close();
      } else if (failure.side === READ) {
        this.#readController?.error(failure.error);
        this.#readSideDone();
        await writer.abort(failure.error);
      } else {
        // A failed write errors the writable, as the sink's failure would.
        if (failure.side === WRITE) await writer.abort(failure.error);
        await reader.cancel(failure.error);
      }
    } finally {
      this.#readUse = USED;
      to.#writeUse = USED;
    }
    if (failure !== null) throw failure.error;
  }

  // Releases the lock a finished direct pipe left on one of the streams.
  #release(out: boolean): void {
    if (out) {
      const writer = this.#writeLock;
      if (writer === null || this.#writeUse === PIPED) return;
      this.#writeLock = null;
      writer.releaseLock();
    } else {
      const reader = this.#readLock;
      if (reader === null || this.#readUse === PIPED) return;
      this.#readLock = null;
      reader.releaseLock();
    }
  }

  // Taking a buffered chunk happens synchronously inside the stream's
  // pull, so a watch callback that reads sees IN drop at once; otherwise one
  // transport read is awaited and the pull runs again.
  #pull(
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> | undefined {
    const chunk = this.#chunk;
    if (chunk !== null) {
      this.#chunk = null;
      this.#notify();
      controller.enqueue(chunk);
      return;
    }
    if (this.#closed || this.#eof || this.#failure) {
      return this.#ended(() => this.#readSideDone()).then(() => {
        controller.close();
      });
    }
    return this.#fill().then(() => this.#pull(controller));
  }

  // Reads one chunk into #chunk; after a read() straight into a buffer,
  // only waits for it (the caller looks again).
  #fill(): Promise<unknown> {
    const into = this.#readingInto;
    if (into !== null) return into.then(noop, noop);
    return this.#reading ??= this.#transport.read().then(
      (chunk) => {
        this.#reading = null;
        if (this.#closed) return;
        if (chunk === null) this.#eof = true;
        else {
          this.#chunk = chunk;
          if (this.#idle !== null) this.#idle.active = true;
        }
        this.#notify();
      },
      (error) => {
        this.#reading = null;
        if (!this.#closed) this.#fail(error);
      },
    );
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#notify();
  }

  #readSideDone(): void {
    this.#readDone = true;
    if (this.#writeDone) this.close();
  }

  #writeSideDone(): void {
    this.#writeDone = true;
    this.#notify();
    if (this.#readDone) this.close();
  }

  #conditions(): number {
    let conditions = 0;
    if (this.#chunk !== null || this.#eof || this.#failure) conditions |= IN;
    if (this.#eof) conditions |= HUP;
    if (this.#failure) conditions |= ERR;
    else if (this.#writing === null && !this.#writeDone) conditions |= OUT;
    return conditions;
  }

  #notify(): void {
    const observers = this.#observers;
    if (observers === null) return;
    for (const onChange of observers) onChange();
  }

  #observe(onChange: () => void): Observation {
    // A closed connection takes no observers: their cancel() is a no-op.
    if (!this.#closed) (this.#observers ??= new Set()).add(onChange);
    // deno-lint-ignore no-this-alias
    const conn = this;
    return {
      get conditions() {
        return conn.#closed ? 0 : conn.#conditions();
      },
      get closed() {
        return conn.#closed;
      },
      readAhead() {
        if (
          conn.#chunk === null && !conn.#eof && !conn.#failure &&
          !conn.#closed && !conn.#readDone && conn.#readingInto === null
        ) void conn.#fill();
      },
      cancel() {
        conn.#observers?.delete(onChange);
      },
    };
  }
}

function checkBoolean(on: unknown, action: string): void {
  if (typeof on !== "boolean") {
    throw new TypeError(
      `Cannot ${action} as 'on' must be a boolean: current value is ${
        formatValue(on)
      }`,
    );
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
