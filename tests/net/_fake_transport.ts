// Copyright 2026 the iox authors. MIT license.
// A transport driven by the tests, for Connection and watch.
import assert from "node:assert/strict";
import {
  type Addr,
  Connection,
  type ConnectionOptions,
  type ConnectionTransport,
} from "../../src/listener.ts";

/** UTF-8 bytes of `text`. */
export const bytes = (text: string): Uint8Array =>
  new TextEncoder().encode(text);
/** The text of UTF-8 bytes. */
export const text = (chunk: Uint8Array | undefined): string =>
  new TextDecoder().decode(chunk);

/** A transport driven by the test: push chunks, the end, or a failure. */
export class FakeTransport implements ConnectionTransport {
  readonly localAddr: Addr = { transport: "unix", path: "local.sock" };
  readonly remoteAddr: Addr = { transport: "unix", path: "" };
  reads = 0;
  closes = 0;
  shutdowns = 0;
  written: string[] = [];
  holdWrites = false;
  failWrites: Error | null = null;
  #items: (Uint8Array | null | Error)[] = [];
  #reader: PromiseWithResolvers<Uint8Array | null> | null = null;
  #held: PromiseWithResolvers<void>[] = [];

  push(item: Uint8Array | null | Error): void {
    const reader = this.#reader;
    if (reader === null) {
      this.#items.push(item);
      return;
    }
    this.#reader = null;
    if (item instanceof Error) reader.reject(item);
    else reader.resolve(item);
  }

  /** Puts bytes back at the head of what is waiting to be read. */
  unshift(chunk: Uint8Array): void {
    this.#items.unshift(chunk);
  }

  read(): Promise<Uint8Array | null> {
    this.reads++;
    assert.equal(this.#reader, null, "read() called while one is pending");
    const item = this.#items.shift();
    if (item instanceof Error) return Promise.reject(item);
    if (item !== undefined) return Promise.resolve(item);
    this.#reader = Promise.withResolvers();
    return this.#reader.promise;
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.failWrites) return Promise.reject(this.failWrites);
    this.written.push(text(chunk));
    if (!this.holdWrites) return Promise.resolve();
    const held = Promise.withResolvers<void>();
    this.#held.push(held);
    return held.promise;
  }

  release(): void {
    for (const held of this.#held.splice(0)) held.resolve();
  }

  /** Resolved when closeWrite() is called while shutdowns are held. */
  shutdownHeld: PromiseWithResolvers<void> | null = null;

  closeWrite(): Promise<void> {
    this.shutdowns++;
    return this.shutdownHeld?.promise ?? Promise.resolve();
  }

  close(): void {
    this.closes++;
    this.push(null);
  }
}

export function fake(
  options?: ConnectionOptions,
): { transport: FakeTransport; conn: Connection } {
  const transport = new FakeTransport();
  return { transport, conn: new Connection(transport, options) };
}

/** A FakeTransport that also reads straight into a buffer. */
export class FakeIntoTransport extends FakeTransport {
  intoReads = 0;

  readInto(buffer: Uint8Array): Promise<number | null> {
    this.intoReads++;
    return this.read().then((chunk) => {
      if (chunk === null) return null;
      const n = Math.min(chunk.length, buffer.length);
      buffer.set(chunk.subarray(0, n));
      if (n < chunk.length) this.unshift(chunk.subarray(n));
      return n;
    });
  }
}
