// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode Connection}: one accepted socket as a pair of web streams, the
 * same shape on Deno and on Bun.
 *
 * Guarantees:
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
 *   the first write Nagle's algorithm could hold). Closing
 *   `writable` shuts down the sending side (the peer reads the end of the
 *   stream) and leaves `readable` open.
 * - Once `readable` is done (end of stream, error or cancel) and `writable`
 *   is done (closed, aborted, or errored by a failed write), the connection
 *   closes itself: an echo written as `conn.readable.pipeTo(conn.writable)`
 *   releases its socket when the peer hangs up or goes away.
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
 * - `close()` is idempotent and immediate: the socket is released, a
 *   pending or later read reports the end of the stream, a later write
 *   rejects, and every {@linkcode watch} on the connection is removed
 *   without being called.
 *
 * @module
 */

/** A TCP endpoint, as Deno reports it. */
export interface NetAddr {
  /** Always `"tcp"`. */
  transport: "tcp";
  /** The IP address, e.g. `"127.0.0.1"` or `"::1"` (no brackets). */
  hostname: string;
  /** The port number. */
  port: number;
}

/** A Unix domain socket endpoint, as Deno reports it. */
export interface UnixAddr {
  /** Always `"unix"`. */
  transport: "unix";
  /** The socket file's path; `""` for an unnamed (client) socket. */
  path: string;
}

/** A socket endpoint: TCP or Unix. */
export type Addr = NetAddr | UnixAddr;

/**
 * The byte transport under a {@linkcode Connection}: what iox builds from a
 * Deno or Bun socket. Implement it to give `Connection`'s streams and
 * {@linkcode watch} to another byte source (a test double, for example).
 */
export interface ConnectionTransport {
  /** This side's address. */
  readonly localAddr: Addr;
  /** The peer's address. */
  readonly remoteAddr: Addr;
  /**
   * The next chunk of bytes, or `null` at the end of the stream (also after
   * {@linkcode ConnectionTransport.close}). Never called again before the
   * previous call settled.
   *
   * @returns The chunk, which the caller owns, or `null`.
   */
  read(): Promise<Uint8Array | null>;
  /**
   * Writes every byte of `chunk`; resolves once all were taken. Never called
   * again before the previous call settled.
   *
   * @param chunk The bytes to send.
   * @returns A promise that resolves when the bytes were taken.
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Shuts down the sending side after the writes so far.
   *
   * @returns A promise that resolves when the shutdown was sent.
   */
  closeWrite(): Promise<void>;
  /**
   * Releases the socket; called exactly once. Like closing a socket, the
   * bytes written so far still reach the peer, followed by the end of the
   * stream: after the peer's end of stream, `Connection` closes without a
   * {@linkcode ConnectionTransport.closeWrite} first.
   */
  close(): void;
}

/** What watch.ts needs to see of a connection. */
export interface _Observation {
  /** The `IOCondition` bits that hold now. */
  readonly conditions: number;
  /** True once the connection was closed locally. */
  readonly closed: boolean;
  /** Reads one chunk ahead (if none is buffered), so `IN` can be seen. */
  readAhead(): void;
  /** Stops observing. */
  cancel(): void;
}

// The same bit values as GLib's GIOCondition; watch.ts exports them.
/** Readable: a read settles at once (data, end of stream or failure). */
export const _IN = 1;
/** Writable: a write would be taken at once. */
export const _OUT = 4;
/** The connection failed. */
export const _ERR = 8;
/** The peer hung up: the end of the stream was reached. */
export const _HUP = 16;

let observe: (conn: Connection, onChange: () => void) => _Observation;

// What the two stream classes need of their connection; set by Connection.
let streamHooks: {
  /**
   * Marks one direction's stream used, releasing what a finished direct pipe
   * left locked; throws while a direct pipe holds it.
   */
  use(conn: Connection, out: boolean, action: string): void;
  /** Releases what a finished direct pipe left locked. */
  release(conn: Connection, out: boolean): void;
  /**
   * pipeTo between two connections: a direct pipe when it may bypass the
   * streams, or null for the standard one.
   */
  pipeTo(
    from: Connection,
    to: Connection,
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
    options: StreamPipeOptions | undefined,
  ): Promise<void> | null;
};

function lockedError(action: string): TypeError {
  return new TypeError(
    `Cannot ${action} as the stream is locked: it is being piped to a connection`,
  );
}

let connectionOf: (writable: ConnectionWritable) => Connection;

// `Connection.readable`: a standard ReadableStream, whose pipeTo to another
// connection's writable skips the streams (see the module documentation).
// Every method that would lock or consume it also records that the stream
// was used, so a direct pipe never skips bytes a reader left in it. A direct
// pipe holds the stream's real lock, so that nothing else (a method called
// through the prototype, a Response body) can read it meanwhile; to spare
// the standard release (which makes TypeErrors) when nobody looks again, the
// lock is released only when the stream is next used.
class ConnectionReadable extends ReadableStream<Uint8Array> {
  #conn: Connection;

  constructor(conn: Connection, source: UnderlyingDefaultSource<Uint8Array>) {
    super(source, { highWaterMark: 0 });
    this.#conn = conn;
  }

  override get locked(): boolean {
    streamHooks.release(this.#conn, false);
    return super.locked;
  }

  override cancel(reason?: unknown): Promise<void> {
    try {
      streamHooks.use(this.#conn, false, "cancel the stream");
    } catch (error) {
      return Promise.reject(error);
    }
    return super.cancel(reason);
  }

  override getReader(
    options: { mode: "byob" },
  ): ReadableStreamBYOBReader;
  override getReader(): ReadableStreamDefaultReader<Uint8Array>;
  override getReader(
    options?: ReadableStreamGetReaderOptions,
  ): ReadableStreamReader<Uint8Array>;
  override getReader(
    options?: ReadableStreamGetReaderOptions,
  ): ReadableStreamReader<Uint8Array> {
    streamHooks.use(this.#conn, false, "get a reader");
    return super.getReader(options);
  }

  override pipeThrough<T>(
    transform: {
      writable: WritableStream<Uint8Array>;
      readable: ReadableStream<T>;
    },
    options?: StreamPipeOptions,
  ): ReadableStream<T> {
    streamHooks.use(this.#conn, false, "pipe the stream");
    if (transform.writable instanceof ConnectionWritable) {
      streamHooks.release(connectionOf(transform.writable), true);
    }
    return super.pipeThrough(transform, options);
  }

  override pipeTo(
    destination: WritableStream<Uint8Array>,
    options?: StreamPipeOptions,
  ): Promise<void> {
    try {
      if (destination instanceof ConnectionWritable) {
        const piping = streamHooks.pipeTo(
          this.#conn,
          connectionOf(destination),
          this,
          destination,
          options,
        );
        if (piping !== null) return piping;
      }
      streamHooks.use(this.#conn, false, "pipe the stream");
    } catch (error) {
      return Promise.reject(error);
    }
    return super.pipeTo(destination, options);
  }

  override tee(): [ReadableStream<Uint8Array>, ReadableStream<Uint8Array>] {
    streamHooks.use(this.#conn, false, "tee the stream");
    return super.tee();
  }

  override values(
    options?: ReadableStreamIteratorOptions,
  ): AsyncIterableIterator<Uint8Array> {
    streamHooks.use(this.#conn, false, "iterate the stream");
    return super.values(options);
  }

  override [Symbol.asyncIterator](
    options?: ReadableStreamIteratorOptions,
  ): AsyncIterableIterator<Uint8Array> {
    return this.values(options);
  }
}

// `Connection.writable`: a standard WritableStream that a direct pipe can
// hold, as ConnectionReadable.
class ConnectionWritable extends WritableStream<Uint8Array> {
  static {
    connectionOf = (writable) => writable.#conn;
  }

  #conn: Connection;

  constructor(conn: Connection, sink: UnderlyingSink<Uint8Array>) {
    super(sink);
    this.#conn = conn;
  }

  override get locked(): boolean {
    streamHooks.release(this.#conn, true);
    return super.locked;
  }

  override abort(reason?: unknown): Promise<void> {
    try {
      streamHooks.use(this.#conn, true, "abort the stream");
    } catch (error) {
      return Promise.reject(error);
    }
    return super.abort(reason);
  }

  override close(): Promise<void> {
    try {
      streamHooks.use(this.#conn, true, "close the stream");
    } catch (error) {
      return Promise.reject(error);
    }
    return super.close();
  }

  override getWriter(): WritableStreamDefaultWriter<Uint8Array> {
    streamHooks.use(this.#conn, true, "get a writer");
    return super.getWriter();
  }
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

/**
 * Observes a connection's readiness for {@linkcode watch}.
 *
 * @param conn The connection.
 * @param onChange Called after every change of its conditions.
 * @returns The observation.
 */
export function _observe(
  conn: Connection,
  onChange: () => void,
): _Observation {
  return observe(conn, onChange);
}

/**
 * One accepted socket as web streams: `readable`, `writable`, the two
 * addresses and `close()`, the same on Deno and Bun. See the module
 * documentation for its guarantees.
 *
 * @example Echo one connection
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
 * assert.equal(conn.remoteAddr.transport, "tcp");
 * await conn.readable.pipeTo(conn.writable);
 * let echo = "";
 * for await (const chunk of client) echo += chunk;
 * assert.equal(echo, "ping");
 * ```
 */
export class Connection implements AsyncDisposable {
  static {
    observe = (conn, onChange) => conn.#observe(onChange);
    streamHooks = {
      use(conn, out, action) {
        if ((out ? conn.#writeUse : conn.#readUse) === PIPED) {
          throw lockedError(action);
        }
        if (out) conn.#writeUse = USED;
        else conn.#readUse = USED;
        conn.#release(out);
      },
      release: (conn, out) => conn.#release(out),
      pipeTo(from, to, readable, writable, options) {
        if (to.#writeUse === PIPED) throw lockedError("pipe to the stream");
        if (
          options === undefined && from.#readUse === FRESH &&
          to.#writeUse === FRESH && !readable.locked && !writable.locked
        ) return from.#pipe(to, readable, writable);
        // The standard pipeTo sees the writable as its own methods do.
        to.#release(true);
        return null;
      },
    };
  }

  /** This side's address. */
  readonly localAddr: Addr;
  /** The peer's address. */
  readonly remoteAddr: Addr;
  #transport: ConnectionTransport;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  #chunk: Uint8Array | null = null;
  #reading: Promise<void> | null = null;
  #eof = false;
  #failure: { error: unknown } | null = null;
  #readDone = false;
  #writeDone = false;
  #writing = false;
  #closed = false;
  #observers: Set<() => void> | null = null;
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
   */
  constructor(transport: ConnectionTransport) {
    this.#transport = transport;
    this.localAddr = transport.localAddr;
    this.remoteAddr = transport.remoteAddr;
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
        return this.#write(chunk);
      },
      close: () => {
        this.#writeUse ||= USED;
        this.#sinkClosed = true;
        // After the peer's end of stream a full close sends the same end of
        // stream (every write was taken) without a separate shutdown.
        if (this.#closed || (this.#eof && this.#readDone)) {
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

  #closedError(): Error {
    return new Error("Cannot write to the connection as it is closed");
  }

  async #shutdown(): Promise<void> {
    try {
      await this.#transport.closeWrite();
    } finally {
      this.#writeSideDone();
    }
  }

  // A failed write errors the writable: its side is done.
  #write(chunk: Uint8Array): Promise<void> {
    if (this.#closed || this.#failure) {
      this.#writeSideDone();
      return Promise.reject(
        this.#closed ? this.#closedError() : this.#failure!.error,
      );
    }
    this.#writing = true;
    this.#notify();
    return this.#transport.write(chunk).then(() => {
      this.#writing = false;
      this.#notify();
    }, (error) => {
      this.#writing = false;
      this.#fail(error);
      this.#writeSideDone();
      throw error;
    });
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
    if (this.#closed || this.#eof) {
      controller.close();
      this.#readSideDone();
      return;
    }
    if (this.#failure) {
      this.#readSideDone();
      return Promise.reject(this.#failure.error);
    }
    return this.#fill().then(() => this.#pull(controller));
  }

  #fill(): Promise<void> {
    return this.#reading ??= this.#transport.read().then(
      (chunk) => {
        this.#reading = null;
        if (this.#closed) return;
        if (chunk === null) this.#eof = true;
        else this.#chunk = chunk;
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
    if (this.#chunk !== null || this.#eof || this.#failure) conditions |= _IN;
    if (this.#eof) conditions |= _HUP;
    if (this.#failure) conditions |= _ERR;
    else if (!this.#writing && !this.#writeDone) conditions |= _OUT;
    return conditions;
  }

  #notify(): void {
    const observers = this.#observers;
    if (observers === null) return;
    for (const onChange of observers) onChange();
  }

  #observe(onChange: () => void): _Observation {
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
          !conn.#closed && !conn.#readDone
        ) void conn.#fill();
      },
      cancel() {
        conn.#observers?.delete(onChange);
      },
    };
  }
}
