// Copyright 2026 the iox authors. MIT license.
// The mechanics under a Connection: the bytes read ahead, the state of each
// direction, the lazily made streams, the direct socket-to-socket pipe, the
// idle timeout and the readiness seen by watch(). Connection (the public
// face, with the argument checks and the contract in its documentation)
// owns one Channel and hands it to its companions through _internals.ts;
// the stream classes of _streams.ts hold it directly.
import {
  ConnectionReadable,
  ConnectionWritable,
  lockedError,
} from "./_streams.ts";
import { type IdleMember, watchIdle } from "./_idle.ts";
import { cannotWrite } from "./connection_error.ts";
import { argumentError } from "../_util/validate.ts";
import type { ConnectionTransport } from "./transport.ts";

// The same bit values as GLib's GIOCondition; watch.ts exports them.
/** Readable: a read settles at once (data, end of stream or failure). */
export const IN = 1;
/** Writable: a write would be taken at once. */
export const OUT = 4;
/** The connection failed. */
export const ERR = 8;
/** The peer hung up: the end of the stream was reached. */
export const HUP = 16;

/** What watch.ts sees of a connection. */
export interface Observation {
  /** The `IOCondition` bits that hold now. */
  readonly conditions: number;
  /** True once the connection was closed locally. */
  readonly closed: boolean;
  /** Reads one chunk ahead (if none is buffered), so `IN` can be seen. */
  readAhead(): void;
  /** Stops observing. */
  cancel(): void;
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

// read(), write() and closeWrite() beside a stream's reader, writer or pipe.
function streamLocked(action: string, stream: string): TypeError {
  return new TypeError(
    `Cannot ${action} the connection as its ${stream} is locked`,
  );
}

/** One connection's state and operations; see the file's header. */
export class Channel {
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
  #onClose: (() => void) | null = null;
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
   * @param transport The bytes underneath.
   * @param idleTimeoutMs When to close an idle connection; Infinity: never.
   */
  constructor(transport: ConnectionTransport, idleTimeoutMs: number) {
    this.#transport = transport;
    this.#readInto = typeof transport.readInto === "function";
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

  /** The transport, for its socket options. */
  get transport(): ConnectionTransport {
    return this.#transport;
  }

  /** `Connection.readable`, made on first use. */
  readable(): ConnectionReadable {
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

  /** `Connection.writable`, made on first use. */
  writable(): ConnectionWritable {
    return this.#writable ??= new ConnectionWritable(this, {
      write: (chunk) => {
        this.#writeUse ||= USED;
        if (!(chunk instanceof Uint8Array)) {
          throw argumentError(
            "Cannot write to the connection as a chunk",
            "a Uint8Array",
            chunk,
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

  /** `Connection.read` once `buffer` was checked. */
  read(buffer: Uint8Array): Promise<number | null> {
    const readable = this.#readable;
    if (readable !== undefined) {
      if (readable.locked) {
        return Promise.reject(streamLocked("read from", "readable"));
      }
      // What a stream's reader left in the stream's queue comes first.
      if (this.#readUse !== FRESH) return this.#readStream(readable, buffer);
    }
    return this.#read(buffer);
  }

  /** `Connection.write` once `data` was checked. */
  write(data: Uint8Array): Promise<number> {
    if (this.#writable?.locked) {
      return Promise.reject(streamLocked("write to", "writable"));
    }
    return this.#write(data);
  }

  /** `Connection.closeWrite`. */
  closeWrite(): Promise<void> {
    if (this.#writable?.locked) {
      return Promise.reject(streamLocked("shut down", "writable"));
    }
    if (this.#shut || this.#closed) return Promise.resolve();
    const writing = this.#writing;
    if (writing !== null) {
      return writing.then(() => this.closeWrite(), () => this.closeWrite());
    }
    return this.#shutdown();
  }

  /** `Connection.close`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunk = null;
    this.#stopIdle?.();
    this.#transport.close();
    this.#notify();
    this.#observers = null;
    const onClose = this.#onClose;
    this.#onClose = null;
    onClose?.();
  }

  /**
   * Accepted by a listener: `rest` (bytes read with a PROXY protocol header,
   * or null) comes before the transport's first byte, and `onClose` (if not
   * null) runs once, after the transport was closed, however that came
   * about.
   */
  accepted(rest: Uint8Array | null, onClose: (() => void) | null): void {
    this.#chunk = rest;
    this.#onClose = onClose;
  }

  /**
   * Marks one direction's stream used (`out`: the writable), releasing what
   * a finished direct pipe left locked; throws while a direct pipe holds it.
   */
  use(out: boolean, action: string): void {
    if ((out ? this.#writeUse : this.#readUse) === PIPED) {
      throw lockedError(action);
    }
    if (out) this.#writeUse = USED;
    else this.#readUse = USED;
    this.#release(out);
  }

  /** Releases what a finished direct pipe left locked. */
  release(out: boolean): void {
    this.#release(out);
  }

  /**
   * pipeTo from this channel's readable to `to`'s writable: a direct pipe
   * when it may bypass the streams, or null for the standard one.
   */
  pipeTo(
    to: Channel,
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
    options: StreamPipeOptions | undefined,
  ): Promise<void> | null {
    if (to.#writeUse === PIPED) throw lockedError("pipe to the stream");
    if (
      options === undefined && this.#readUse === FRESH &&
      to.#writeUse === FRESH && !readable.locked && !writable.locked
    ) return this.#pipe(to, readable, writable);
    // The standard pipeTo sees the writable as its own methods do.
    to.#release(true);
    return null;
  }

  /** Observes readiness for watch(); `onChange` after every change. */
  observe(onChange: () => void): Observation {
    return this.#observe(onChange);
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
    to: Channel,
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

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
