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
 *   delay: `TCP_NODELAY` is set, as Bun does by itself). Closing
 *   `writable` shuts down the sending side (the peer reads the end of the
 *   stream) and leaves `readable` open.
 * - Once `readable` is done (end of stream, error or cancel) and `writable`
 *   is done (closed or aborted), the connection closes itself: an echo
 *   written as `conn.readable.pipeTo(conn.writable)` releases its socket
 *   when the peer hangs up.
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
    return this.#readable ??= new ReadableStream<Uint8Array>({
      pull: (controller) => this.#pull(controller),
      cancel: () => {
        this.#chunk = null;
        this.#readSideDone();
      },
    }, { highWaterMark: 0 });
  }

  /** The bytes to the peer; closing it shuts down the sending side. */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (this.#closed) throw this.#closedError();
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(
            `Cannot write to the connection as a chunk must be a Uint8Array: current value is ${typeof chunk}`,
          );
        }
        if (this.#failure) throw this.#failure.error;
        this.#writing = true;
        this.#notify();
        return this.#transport.write(chunk).then(() => {
          this.#writing = false;
          this.#notify();
        }, (error) => {
          this.#writing = false;
          this.#fail(error);
          throw error;
        });
      },
      close: async () => {
        try {
          // After the peer's end of stream a full close sends the same end
          // of stream (every write was taken) without a separate shutdown.
          if (!this.#closed && !(this.#eof && this.#readDone)) {
            await this.#transport.closeWrite();
          }
        } finally {
          this.#writeSideDone();
        }
      },
      abort: () => this.#writeSideDone(),
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
