// Copyright 2026 the iox authors. MIT license.
// Who gets an accepted connection: pending waitClient() calls and
// iterations first, in the order they began waiting (as QEMU's wait_client
// takes precedence over the client function), then the client handler, else
// a queue for the next of them. Also the handler's lifecycle: each call
// (posted to its executor, if any) and its onDispose exactly once, after
// it can no longer be called.

import type { Connection } from "./connection.ts";
import type { NetListener } from "./listener.ts";
import type { ClientHandler, HandlerExecutor } from "./listener_options.ts";
import { isThenable } from "../_util/validate.ts";

interface Registration {
  handler: ClientHandler;
  executor: HandlerExecutor | undefined;
  onDispose: (() => void) | undefined;
  pending: number;
  disposed: boolean;
}

interface Waiter {
  settle(conn: Connection | null): void;
}

/** One listener's consumers of accepted connections. */
export class HandOff {
  /** Handler calls that threw or rejected, or could not be posted. */
  errors = 0;
  #listener: NetListener;
  #report: (error: unknown) => void;
  #wanted: () => void;
  #handler: Registration | null = null;
  #waiters: Waiter[] = [];
  #ready: Connection[] = [];

  /**
   * @param listener What handlers get as their second argument.
   * @param report Where errors go (the listener's `onError`).
   * @param wanted Called when a consumer appears: accepting may resume.
   */
  constructor(
    listener: NetListener,
    report: (error: unknown) => void,
    wanted: () => void,
  ) {
    this.#listener = listener;
    this.#report = report;
    this.#wanted = wanted;
  }

  /** True while a handler is set or a waiter waits: worth accepting. */
  get wanted(): boolean {
    return this.#handler !== null || this.#waiters.length > 0;
  }

  /**
   * Replaces the handler (null clears it); the old one's `onDispose` runs
   * once it can no longer be called. Queued connections go to the new one.
   *
   * @param handler The handler, or null.
   * @param executor Where to post its calls.
   * @param onDispose Called once after it was replaced.
   */
  setHandler(
    handler: ClientHandler | null,
    executor: HandlerExecutor | undefined,
    onDispose: (() => void) | undefined,
  ): void {
    const old = this.#handler;
    const current: Registration | null = handler === null ? null : {
      handler,
      executor,
      onDispose,
      pending: 0,
      disposed: false,
    };
    this.#handler = current;
    if (old !== null) {
      old.disposed = true;
      if (old.pending === 0) this.#dispose(old, true);
    }
    if (current === null) return;
    while (this.#handler === current) {
      const conn = this.#ready.shift();
      if (conn === undefined) break;
      this.#invoke(current, conn);
    }
    this.#wanted();
  }

  /**
   * Gives a connection to the first waiter, else the handler, else queues
   * it.
   *
   * @param conn The connection.
   */
  handOut(conn: Connection): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.settle(conn);
    else if (this.#handler !== null) this.#invoke(this.#handler, conn);
    else this.#ready.push(conn);
  }

  /** Ends every waiter (with null): the listener stopped listening. */
  endWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.settle(null);
  }

  /** Closes the queued connections nobody took. */
  closeQueued(): void {
    const ready = this.#ready;
    this.#ready = [];
    for (const conn of ready) conn.close();
  }

  /**
   * An iteration: each `next()` takes a connection as
   * {@linkcode HandOff.take} does; `return()` ends it at once, a waiting
   * `next()` included, which then reports the end and takes nothing.
   *
   * @param listening Whether a socket still listens.
   * @returns The iterator.
   */
  iterate(listening: () => boolean): AsyncIterableIterator<Connection> {
    const stop = new AbortController();
    const end: IteratorReturnResult<undefined> = {
      done: true,
      value: undefined,
    };
    const take = (signal: AbortSignal) => this.take(signal, listening());
    return {
      async next(): Promise<IteratorResult<Connection, undefined>> {
        if (stop.signal.aborted) return end;
        try {
          const conn = await take(stop.signal);
          return conn === null ? end : { done: false, value: conn };
        } catch (error) {
          if (stop.signal.aborted) return end;
          throw error;
        }
      },
      return(): Promise<IteratorReturnResult<undefined>> {
        stop.abort();
        return Promise.resolve(end);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /**
   * The next connection for a `waitClient()` or an iteration: a queued one
   * at once, else the next handed out.
   *
   * @param signal Gives up waiting, rejecting with its reason.
   * @param listening False once no socket listens: then null, not a wait.
   * @returns The connection, or null at the end.
   */
  take(
    signal: AbortSignal | undefined,
    listening: boolean,
  ): Promise<Connection | null> {
    const conn = this.#ready.shift();
    if (conn !== undefined) return Promise.resolve(conn);
    if (!listening) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        settle(conn) {
          signal?.removeEventListener("abort", onAbort);
          resolve(conn);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#wanted();
    });
  }

  #invoke(registration: Registration, conn: Connection): void {
    const { executor } = registration;
    if (executor === undefined) {
      this.#call(registration, conn);
      return;
    }
    registration.pending++;
    const done = () => {
      if (--registration.pending === 0 && registration.disposed) {
        this.#dispose(registration, false);
      }
    };
    try {
      executor.post(() => {
        try {
          this.#call(registration, conn);
        } finally {
          done();
        }
      });
    } catch (error) {
      // A full or closed queue: this connection cannot be handled.
      this.#handlerFailed(error, conn);
      done();
    }
  }

  #call(registration: Registration, conn: Connection): void {
    try {
      const result = registration.handler(conn, this.#listener);
      if (isThenable(result)) {
        Promise.resolve(result).then(
          undefined,
          (error) => this.#handlerFailed(error, conn),
        );
      }
    } catch (error) {
      this.#handlerFailed(error, conn);
    }
  }

  #handlerFailed(error: unknown, conn: Connection): void {
    this.errors++;
    conn.close();
    this.#report(error);
  }

  #dispose(registration: Registration, post: boolean): void {
    const { onDispose, executor } = registration;
    if (onDispose === undefined) return;
    const call = () => {
      try {
        onDispose();
      } catch (error) {
        this.#report(error);
      }
    };
    if (post && executor !== undefined) {
      try {
        executor.post(call);
        return;
      } catch (error) {
        // onDispose runs exactly once: here, if it cannot run there.
        this.#report(error);
      }
    }
    call();
  }
}
