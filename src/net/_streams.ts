// Copyright 2026 the iox authors. MIT license.
// `Connection.readable` and `Connection.writable`: standard web streams
// whose pipeTo to another connection's writable skips the streams (see
// connection.ts's module documentation).
//
// Every method that would lock or consume a stream also records that the
// stream was used, so a direct pipe never skips bytes a reader left in it.
// A direct pipe holds the stream's real lock, so that nothing else (a method
// called through the prototype, a Response body) can use it meanwhile; to
// spare the standard release (which makes TypeErrors) when nobody looks
// again, the lock is released only when the stream is next used.
import type { Channel } from "./_channel.ts";

/**
 * The error for using a stream that a direct pipe holds.
 *
 * @param action What could not be done, e.g. "get a reader".
 * @returns The error.
 */
export function lockedError(action: string): TypeError {
  return new TypeError(
    `Cannot ${action} as the stream is locked: it is being piped to a connection`,
  );
}

/** `Connection.readable`. */
export class ConnectionReadable extends ReadableStream<Uint8Array> {
  #channel: Channel;

  constructor(channel: Channel, source: UnderlyingDefaultSource<Uint8Array>) {
    super(source, { highWaterMark: 0 });
    this.#channel = channel;
  }

  override get locked(): boolean {
    this.#channel.release(false);
    return super.locked;
  }

  override cancel(reason?: unknown): Promise<void> {
    try {
      this.#channel.use(false, "cancel the stream");
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
    this.#channel.use(false, "get a reader");
    return super.getReader(options);
  }

  override pipeThrough<T>(
    transform: {
      writable: WritableStream<Uint8Array>;
      readable: ReadableStream<T>;
    },
    options?: StreamPipeOptions,
  ): ReadableStream<T> {
    this.#channel.use(false, "pipe the stream");
    if (transform.writable instanceof ConnectionWritable) {
      ConnectionWritable.channelOf(transform.writable).release(true);
    }
    return super.pipeThrough(transform, options);
  }

  override pipeTo(
    destination: WritableStream<Uint8Array>,
    options?: StreamPipeOptions,
  ): Promise<void> {
    try {
      if (destination instanceof ConnectionWritable) {
        const piping = this.#channel.pipeTo(
          ConnectionWritable.channelOf(destination),
          this,
          destination,
          options,
        );
        if (piping !== null) return piping;
      }
      this.#channel.use(false, "pipe the stream");
    } catch (error) {
      return Promise.reject(error);
    }
    return super.pipeTo(destination, options);
  }

  override tee(): [ReadableStream<Uint8Array>, ReadableStream<Uint8Array>] {
    this.#channel.use(false, "tee the stream");
    return super.tee();
  }

  override values(
    options?: ReadableStreamIteratorOptions,
  ): AsyncIterableIterator<Uint8Array> {
    this.#channel.use(false, "iterate the stream");
    return super.values(options);
  }

  override [Symbol.asyncIterator](
    options?: ReadableStreamIteratorOptions,
  ): AsyncIterableIterator<Uint8Array> {
    return this.values(options);
  }
}

/** `Connection.writable`, which a direct pipe can hold as the readable. */
export class ConnectionWritable extends WritableStream<Uint8Array> {
  /** The channel a writable belongs to. */
  static channelOf(writable: ConnectionWritable): Channel {
    return writable.#channel;
  }

  #channel: Channel;

  constructor(channel: Channel, sink: UnderlyingSink<Uint8Array>) {
    super(sink);
    this.#channel = channel;
  }

  override get locked(): boolean {
    this.#channel.release(true);
    return super.locked;
  }

  override abort(reason?: unknown): Promise<void> {
    try {
      this.#channel.use(true, "abort the stream");
    } catch (error) {
      return Promise.reject(error);
    }
    return super.abort(reason);
  }

  override close(): Promise<void> {
    try {
      this.#channel.use(true, "close the stream");
    } catch (error) {
      return Promise.reject(error);
    }
    return super.close();
  }

  override getWriter(): WritableStreamDefaultWriter<Uint8Array> {
    this.#channel.use(true, "get a writer");
    return super.getWriter();
  }
}
