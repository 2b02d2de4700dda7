// Copyright 2026 the iox authors. MIT license.
// What a runtime's listener holds between the runtime accepting a socket and
// NetListener taking it (see RawListener in net.ts): the sockets ready and
// the errors to report, in the order they came, the one accept() waiting for
// them, and the TLS handshakes under way with the timers that end them.
// Both runtimes' listeners use it: Bun accepts on its own and pushes every
// socket, Deno's TLS listener accepts while someone waits and runs the
// handshakes side by side, so a slow one holds up none behind it.

import { ConnectionError } from "../net/connection_error.ts";
import { LongTimeout } from "../_util/long_timeout.ts";

/** A socket the queue may have to close. */
export interface Closable {
  /** Releases the socket; may be called more than once. */
  close(): void;
}

type Entry<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Sockets and failures on their way from the runtime to accept(). */
export class AcceptQueue<T extends Closable> {
  #ready: Entry<T>[] = [];
  #waiter: PromiseWithResolvers<T | null> | null = null;
  #closed = false;
  #handshakeTimeoutMs: number;
  #handshaking = new Map<Closable, LongTimeout>();

  /**
   * @param handshakeTimeoutMs How long a TLS handshake may take; unused
   * without TLS.
   */
  constructor(handshakeTimeoutMs = Infinity) {
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
  }

  /** True while an accept() waits (and the queue is not closed). */
  get waited(): boolean {
    return this.#waiter !== null;
  }

  /**
   * The next ready socket; rejects with the next failure if that came
   * first; null once {@linkcode AcceptQueue.close} was called.
   *
   * @returns The socket, or null.
   */
  accept(): Promise<T | null> {
    const entry = this.#ready.shift();
    if (entry !== undefined) {
      return entry.ok
        ? Promise.resolve(entry.value)
        : Promise.reject(entry.error);
    }
    if (this.#closed) return Promise.resolve(null);
    return (this.#waiter ??= Promise.withResolvers()).promise;
  }

  /**
   * Hands out a ready socket, or closes it if the queue is closed.
   *
   * @param value The socket.
   */
  push(value: T): void {
    if (this.#closed) {
      value.close();
      return;
    }
    const waiter = this.#take();
    if (waiter === null) this.#ready.push({ ok: true, value });
    else waiter.resolve(value);
  }

  /**
   * Reports a failure through accept(); nothing once the queue is closed.
   *
   * @param error What accept() rejects with.
   */
  fail(error: unknown): void {
    if (this.#closed) return;
    const waiter = this.#take();
    if (waiter === null) this.#ready.push({ ok: false, error });
    else waiter.reject(error);
  }

  /**
   * Starts timing a socket's TLS handshake: if it has not ended after the
   * handshake timeout, the socket is closed and accept() reports a
   * `ConnectionError` with code `"ETIMEDOUT"`.
   *
   * @param socket The socket; closed right away if the queue is closed.
   */
  startHandshake(socket: Closable): void {
    if (this.#closed) {
      socket.close();
      return;
    }
    const timeoutMs = this.#handshakeTimeoutMs;
    this.#handshaking.set(
      socket,
      new LongTimeout(() => {
        this.#handshaking.delete(socket);
        socket.close();
        this.fail(
          new ConnectionError(
            `Cannot complete the TLS handshake: ETIMEDOUT: none within ${timeoutMs} ms`,
            "ETIMEDOUT",
          ),
        );
      }, timeoutMs),
    );
  }

  /**
   * Ends the timing of a handshake.
   *
   * @param socket A socket given to {@linkcode AcceptQueue.startHandshake}.
   * @returns True if its handshake was under way; false if it had timed
   * out, was closed with the queue, or was never started.
   */
  endHandshake(socket: Closable): boolean {
    const timer = this.#handshaking.get(socket);
    if (timer === undefined) return false;
    timer.clear();
    this.#handshaking.delete(socket);
    return true;
  }

  /**
   * Closes every socket it holds (ready or in a handshake) and ends a
   * waiting accept() with null; from now on it takes nothing. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [socket, timer] of this.#handshaking) {
      timer.clear();
      socket.close();
    }
    this.#handshaking.clear();
    for (const entry of this.#ready.splice(0)) {
      if (entry.ok) entry.value.close();
    }
    this.#take()?.resolve(null);
  }

  #take(): PromiseWithResolvers<T | null> | null {
    const waiter = this.#waiter;
    this.#waiter = null;
    return waiter;
  }
}
