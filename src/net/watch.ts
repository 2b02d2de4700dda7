// Copyright 2026 the iox authors. MIT license.
/**
 * {@linkcode watch}: QEMU's `qio_channel_add_watch` for a
 * {@linkcode Connection}: call a function whenever the connection is ready
 * for one of the {@linkcode IOCondition}s asked for.
 *
 * What the conditions mean on web streams:
 * - `IN`: a read from `conn.readable` settles at once: a chunk is buffered,
 *   or the end of the stream was reached, or the connection failed. To see
 *   this without losing data, the connection reads one chunk ahead into an
 *   internal buffer; the next read of `readable` returns that chunk first.
 * - `OUT`: a write to `conn.writable` would be taken at once: no write is in
 *   progress, the writable side is not closed and the connection has not
 *   failed.
 * - `HUP`: the peer hung up: the end of the stream was reached. As on a
 *   socket, this is seen only after the bytes before it were read, so watch
 *   `IN | HUP` and read.
 * - `ERR`: a read or a write failed (the peer reset the connection, say).
 *   The error is what `readable` and `writable` reject with.
 *
 * Guarantees:
 * - Level-triggered, like a GLib watch: the callback is called, in a task of
 *   its own (never inside the I/O that made the condition true), whenever a
 *   watched condition holds; if it still holds after the callback returned
 *   anything but `false`, the callback is called again in a later task. So
 *   an `IN` callback must read (or return `false`).
 * - The callback receives the watched conditions that hold now, never 0.
 *   An asynchronous callback is not called again before its promise
 *   settled; a promise that resolves to `false` removes the watch.
 * - The watch is removed when the callback returns `false`, when
 *   {@linkcode IOWatch.remove} is called, when the `signal` aborts, when the
 *   callback throws or rejects (the error goes to `onError`), or when the
 *   connection is closed locally. After removal the callback is never
 *   called again.
 *
 * @module
 */

import { Connection } from "./connection.ts";
import { ERR, HUP, IN, type Observation, OUT } from "./_channel.ts";
import { internals } from "./_internals.ts";
import { nextTurn } from "../_runtime/event_loop.ts";
import {
  argumentError,
  formatValue,
  notAFunction,
  notAnAbortSignal,
  optionsObject,
} from "../_util/validate.ts";

/**
 * The readiness conditions of {@linkcode watch}, as bit flags with GLib's
 * `GIOCondition` values: combine them with `|`.
 *
 * @example Usage
 * ```ts
 * import { IOCondition } from "@iox/iox/listener";
 * import assert from "node:assert/strict";
 *
 * const condition = IOCondition.IN | IOCondition.HUP;
 * assert.ok(condition & IOCondition.HUP);
 * assert.ok(!(condition & IOCondition.OUT));
 * ```
 */
export const IOCondition: {
  /** A read settles at once: data, end of stream or failure. */
  readonly IN: 1;
  /** A write would be taken at once. */
  readonly OUT: 4;
  /** The connection failed. */
  readonly ERR: 8;
  /** The peer hung up: the end of the stream was reached. */
  readonly HUP: 16;
} = Object.freeze({ IN, OUT, ERR, HUP } as const);

const ALL = IN | OUT | ERR | HUP;
const READ_SIDE = IN | ERR | HUP;

/**
 * Called by {@linkcode watch} when the connection is ready.
 *
 * @param conn The watched connection.
 * @param condition The watched conditions that hold now.
 * @returns `false` to remove the watch; anything else keeps it.
 */
export type WatchCallback = (
  conn: Connection,
  condition: number,
) => boolean | void | Promise<boolean | void>;

/** Options for {@linkcode watch}. */
export interface WatchOptions {
  /**
   * Removes the watch when aborted; an already aborted signal means the
   * watch is never added.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Receives the error when the callback throws or its promise rejects
   * (the watch is then removed).
   *
   * @default {(error) => console.error(error)}
   */
  onError?: (error: unknown) => void;
}

/** A watch added by {@linkcode watch}. */
export interface IOWatch extends Disposable {
  /** True until the watch is removed. */
  readonly active: boolean;
  /**
   * Removes the watch: the callback is not called again. Idempotent.
   *
   * @returns True if this call removed it, false if it was already removed.
   */
  remove(): boolean;
}

class Watch implements IOWatch {
  #conn: Connection;
  #condition: number;
  #callback: WatchCallback;
  #onError: (error: unknown) => void;
  #observation: Observation | null = null;
  #scheduled = false;
  #running = false;
  #signal: AbortSignal | undefined;
  #onAbort = () => this.remove();

  constructor(
    conn: Connection,
    condition: number,
    callback: WatchCallback,
    options: WatchOptions | undefined,
  ) {
    this.#conn = conn;
    this.#condition = condition;
    this.#callback = callback;
    this.#onError = options?.onError ?? ((error) => console.error(error));
    const signal = options?.signal;
    if (signal?.aborted) return;
    const observation = internals.channel(conn).observe(() => this.#schedule());
    if (observation.closed) return;
    this.#observation = observation;
    if (signal) {
      this.#signal = signal;
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    this.#schedule();
  }

  get active(): boolean {
    return this.#observation !== null;
  }

  remove(): boolean {
    const observation = this.#observation;
    if (observation === null) return false;
    this.#observation = null;
    observation.cancel();
    this.#signal?.removeEventListener("abort", this.#onAbort);
    return true;
  }

  [Symbol.dispose](): void {
    this.remove();
  }

  #schedule(): void {
    const observation = this.#observation;
    if (observation === null) return;
    if (observation.closed) {
      this.remove();
      return;
    }
    if (this.#scheduled || this.#running) return;
    if ((observation.conditions & this.#condition) !== 0) {
      // A task of its own on the next turn: a zero timer is clamped to
      // 1 ms or more, which a ping-pong over a watch paid on every event.
      this.#scheduled = true;
      nextTurn(this.#dispatcher);
    } else if (this.#condition & READ_SIDE) {
      observation.readAhead();
    }
  }

  #dispatcher = () => this.#dispatch();

  #dispatch(): void {
    this.#scheduled = false;
    const observation = this.#observation;
    if (observation === null) return;
    const ready = observation.conditions & this.#condition;
    if (ready === 0) {
      this.#schedule();
      return;
    }
    let keep;
    try {
      keep = this.#callback(this.#conn, ready);
    } catch (error) {
      this.#failed(error);
      return;
    }
    if (keep instanceof Promise) {
      this.#running = true;
      keep.then((result) => {
        this.#running = false;
        this.#after(result);
      }, (error) => {
        this.#running = false;
        this.#failed(error);
      });
    } else {
      this.#after(keep);
    }
  }

  #after(keep: boolean | void): void {
    if (keep === false) this.remove();
    else this.#schedule();
  }

  #failed(error: unknown): void {
    this.remove();
    this.#onError(error);
  }
}

/**
 * Calls `callback` whenever `conn` is ready for one of the conditions in
 * `condition`, until it returns `false` or the watch is removed: QEMU's
 * `qio_channel_add_watch`. See the module documentation for what `IN`,
 * `OUT`, `HUP` and `ERR` mean on web streams and for the guarantees.
 *
 * @example Read what arrives, stop at the end of the stream
 * ```ts
 * import { IOCondition, NetListener, watch } from "@iox/iox/listener";
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 *
 * await using listener = new NetListener();
 * const [addr] = await listener.open("127.0.0.1:0");
 * assert.equal(addr?.transport, "tcp");
 * connect(addr.port, "127.0.0.1").end("hello");
 * await using conn = await listener.waitClient();
 * const reader = conn.readable.getReader();
 * let text = "";
 * const { promise, resolve } = Promise.withResolvers<void>();
 * watch(conn, IOCondition.IN | IOCondition.HUP, async (_conn, condition) => {
 *   const { value } = await reader.read();
 *   if (value) text += new TextDecoder().decode(value);
 *   if (condition & IOCondition.HUP) {
 *     resolve();
 *     return false;
 *   }
 *   return true;
 * });
 * await promise;
 * assert.equal(text, "hello");
 * ```
 *
 * @param conn The connection to watch.
 * @param condition The {@linkcode IOCondition} bits to watch, combined with `|`.
 * @param callback Called with the connection and the watched conditions that hold.
 * @param options The abort `signal` and the `onError` handler.
 * @returns The watch, to remove it.
 * @throws {TypeError} If `conn` is not a {@linkcode Connection}, `callback`
 * is not a function, or an option has the wrong type.
 * @throws {RangeError} If `condition` is not a non-empty combination of `IOCondition` bits.
 */
export function watch(
  conn: Connection,
  condition: number,
  callback: WatchCallback,
  options?: WatchOptions,
): IOWatch {
  if (!(conn instanceof Connection)) {
    throw argumentError("Cannot watch as 'conn'", "a Connection", conn);
  }
  if (
    !Number.isInteger(condition) || condition <= 0 || (condition & ~ALL) !== 0
  ) {
    throw new RangeError(
      `Cannot watch as 'condition' must combine IOCondition.IN, OUT, ERR and HUP: current value is ${
        formatValue(condition)
      }`,
    );
  }
  if (typeof callback !== "function") {
    throw notAFunction("Cannot watch as 'callback'", callback);
  }
  const { signal, onError } = optionsObject(options, "watch");
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw notAnAbortSignal("Cannot watch as 'signal'", signal);
  }
  if (onError !== undefined && typeof onError !== "function") {
    throw notAFunction("Cannot watch as 'onError'", onError);
  }
  return new Watch(conn, condition, callback, options);
}
