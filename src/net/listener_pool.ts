// Copyright 2026 the iox authors. MIT license.
// ListenerPool: one TCP server on every core. Guarantees: ../listener.ts.

import {
  ACCEPTED,
  ACTIVE,
  COUNTERS,
  CRASHED,
  DISCONNECT,
  DONE,
  ERRORS,
  EXITING,
  FAILED,
  INIT,
  LOAD_FAILED,
  OPEN,
  READY,
  REJECTED,
  REPORT,
  SHUTDOWN,
} from "./_listener_pool_protocol.ts";
import {
  type ListenAddress,
  NetListener,
  type NetListenerOptions,
  type NetListenerStats,
  SHUTDOWN_TIMEOUT_MS,
  type ShutdownOptions,
  type TcpListenAddress,
} from "./listener.ts";
import type { Addr, NetAddr } from "./connection.ts";
import { WorkerCrashedError } from "../errors.ts";
import { LongTimeout } from "../_util/long_timeout.ts";
import { messageTag } from "../_util/worker_link.ts";
import { receiveError } from "../_util/error_transfer.ts";
import { spawnWorker } from "../_runtime/worker.ts";
import { reusePortUnavailable } from "../_runtime/reuse_port.ts";
import { resolveModule } from "../_util/module_url.ts";
import {
  argumentError,
  assertInteger,
  assertMs,
  messageOf,
  notAFunction,
  notAString,
  optionsObject,
} from "../_util/validate.ts";

/**
 * Options for {@linkcode ListenerPool}: its own, plus those of the
 * {@linkcode NetListener} that each worker runs (`maxConnections` and the
 * rest), which apply per worker. They must be structured-cloneable to
 * reach the workers: options that are functions (other than `onError`,
 * which runs on the pool's thread) go in the handler module instead, as
 * its `listenerOptions` export, which each worker's listener also gets.
 */
export interface ListenerPoolOptions extends Omit<NetListenerOptions, "name"> {
  /**
   * How many workers listen, each on its own thread.
   *
   * @default {navigator.hardwareConcurrency}
   */
  threads?: number;
  /**
   * A name for messages; worker `i` (from 1) is named `"<name> #i"`.
   *
   * @default {"listener-pool"}
   */
  name?: string;
  /**
   * Receives what goes wrong without a caller to reject: what each worker's
   * listener reports (a client handler that throws or rejects, a failed
   * accept) and a worker that died, as a `WorkerCrashedError` whose `cause`
   * is what killed it (or a replacement that could not start).
   *
   * @default {(error) => console.error(error)}
   */
  onError?: (error: unknown) => void;
}

/** Counters of a {@linkcode ListenerPool}, summed over its workers. */
export interface ListenerPoolStats extends NetListenerStats {
  /**
   * Connections accepted by each worker slot (a replaced worker's count
   * carries on in its slot), `threads` entries.
   */
  perThread: number[];
}

/**
 * How long (ms) {@linkcode ListenerPool.close} waits for its workers to
 * stop listening before it ends them anyway; and how long past its
 * `timeoutMs` {@linkcode ListenerPool.shutdown} waits for a worker that has
 * not reported its connections closed.
 */
export const CLOSE_DISCONNECT_MS = 1000;

const WORKER_URL = new URL("./_listener_pool_worker.ts", import.meta.url);
// A worker that dies this soon after it started counts as a failed start:
// its replacement waits longer each time, up to the maximum.
const QUICK_DEATH_MS = 1000;
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5000;

type State = "idle" | "opening" | "listening" | "closed";

// What a slot's earlier (dead) workers counted.
interface Totals {
  accepted: number;
  rejected: number;
  errors: number;
}

class Member {
  readonly ready = Promise.withResolvers<void>();
  readonly requests = new Map<number, PromiseWithResolvers<unknown>>();
  readonly counters = new Float64Array(new SharedArrayBuffer(COUNTERS * 8));
  readonly tag = messageTag();
  readonly started = performance.now();
  worker: Worker | undefined = undefined;
  serving = false;
  gone = false;
  constructor(readonly slot: number) {
    // Nobody may be waiting for it when the worker dies.
    this.ready.promise.catch(() => {});
  }
}

function isUnixAddress(address: unknown): boolean {
  return typeof address === "string"
    ? address.startsWith("unix:")
    : typeof address === "object" && address !== null &&
      (address as { transport?: unknown }).transport === "unix";
}

// The address a joining worker binds for `addr`, one of those `input` became
// in the first worker: the same options (TLS, say) at the concrete host and
// port.
function joinAddress(input: ListenAddress, addr: Addr): ListenAddress {
  const { hostname, port } = addr as NetAddr;
  return typeof input === "object"
    ? { ...input as TcpListenAddress, hostname, port }
    : { hostname, port };
}

// Waits until `work` settles, but `ms` at most.
async function atMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: LongTimeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise<void>((resolve) => timer = new LongTimeout(resolve, ms)),
    ]);
  } finally {
    timer!.clear();
  }
}

/**
 * One TCP server on every core: `threads` workers each run the module's
 * default export as the client handler of a {@linkcode NetListener} on the
 * same addresses, whose sockets share their port (SO_REUSEPORT), so the
 * kernel spreads the connections across the workers. See the module
 * documentation for the guarantees.
 *
 * @example Echo on two threads
 * ```ts
 * // Under Deno, run with --unstable-net (or "unstable": ["net"] in deno.json).
 * import { ListenerPool } from "@iox/iox/listener";
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 *
 * const echo = `data:text/javascript,
 *   export default (conn) => conn.readable.pipeTo(conn.writable);`;
 * await using pool = new ListenerPool(echo, { threads: 2 });
 * const [addr] = await pool.open("127.0.0.1:0");
 * assert.equal(addr?.transport, "tcp");
 * const client = connect(addr.port, "127.0.0.1");
 * client.end("hello");
 * let text = "";
 * for await (const chunk of client) text += chunk;
 * assert.equal(text, "hello");
 * assert.equal(pool.stats.perThread.length, 2);
 * ```
 */
export class ListenerPool implements AsyncDisposable {
  #module: URL;
  #name: string;
  #onError: (error: unknown) => void;
  #listenerOptions: Record<string, unknown> = {};
  #members: (Member | undefined)[];
  #totals: Totals[];
  #failures: number[];
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #state: State = "idle";
  #shared: ListenAddress[] = [];
  #addrs: Addr[] = [];
  #nextRequest = 0;
  #closing: Promise<void> | undefined = undefined;

  /**
   * Creates a pool. No worker starts before {@linkcode ListenerPool.open}.
   *
   * @param module The handler module, whose default export receives each
   * connection as a NetListener's client handler does (and whose optional
   * `listenerOptions` export adds options to each worker's listener): a `URL`
   * (recommended: `new URL("./handler.ts", import.meta.url)`), a URL
   * string, an absolute path, or a path relative to the working directory.
   * @param options The `threads`, `name`, `onError` and the workers'
   * listener options.
   * @throws {TypeError} If `module` is not a URL or a path, `threads` not a
   * number, `name` not a string, `onError` not a function, or a listener
   * option of the wrong type, a function or not structured-cloneable.
   * @throws {RangeError} If `threads` is not a positive integer, or a
   * listener option is out of range.
   */
  constructor(module: string | URL, options?: ListenerPoolOptions) {
    const what = "create listener pool";
    this.#module = resolveModule(module, what);
    const {
      threads = navigator.hardwareConcurrency,
      name = "listener-pool",
      onError,
      ...rest
    } = optionsObject(options, what);
    assertInteger(threads, `Cannot ${what} as 'threads'`, 1);
    if (typeof name !== "string") {
      throw notAString(`Cannot ${what} as 'name'`, name);
    }
    if (onError !== undefined && typeof onError !== "function") {
      throw notAFunction(`Cannot ${what} as 'onError'`, onError);
    }
    // The listener's own checks, with its messages, before any worker.
    new NetListener(rest);
    for (const [key, value] of Object.entries(rest)) {
      if (typeof value === "function") {
        throw new TypeError(
          `Cannot ${what} as '${key}' must be sent to the workers, which a function cannot: export it in the handler module's 'listenerOptions' instead`,
        );
      }
    }
    try {
      this.#listenerOptions = structuredClone(rest);
    } catch (error) {
      throw new TypeError(
        `Cannot ${what} as its listener options must be structured-cloneable: ${
          messageOf(error)
        }`,
      );
    }
    this.#name = name;
    this.#onError = onError ??
      ((error) => console.error(`ListenerPool '${name}':`, error));
    this.#members = new Array(threads).fill(undefined);
    this.#totals = Array.from(
      { length: threads },
      () => ({ accepted: 0, rejected: 0, errors: 0 }),
    );
    this.#failures = new Array(threads).fill(0);
  }

  /** The name given to the constructor. */
  get name(): string {
    return this.#name;
  }

  /** Where the workers listen, with the real ports; empty when they do not. */
  get addrs(): Addr[] {
    return [...this.#addrs];
  }

  /**
   * A snapshot of the counters summed over the workers, as they last
   * published them (each worker does after every handler call and at least
   * every few milliseconds). A dead worker's `active` connections are gone;
   * its other counts stay in its slot.
   */
  get stats(): ListenerPoolStats {
    const stats: ListenerPoolStats = {
      accepted: 0,
      rejected: 0,
      active: 0,
      errors: 0,
      perThread: [],
    };
    this.#totals.forEach((totals, slot) => {
      const counters = this.#members[slot]?.counters;
      const accepted = totals.accepted + (counters?.[ACCEPTED] ?? 0);
      stats.perThread.push(accepted);
      stats.accepted += accepted;
      stats.rejected += totals.rejected + (counters?.[REJECTED] ?? 0);
      stats.active += counters?.[ACTIVE] ?? 0;
      stats.errors += totals.errors + (counters?.[ERRORS] ?? 0);
    });
    return stats;
  }

  /**
   * Starts the workers (those not running yet) and makes every one listen
   * on the addresses, all-or-nothing: the first worker binds them (port 0
   * gets a free port), the others join the same ports.
   *
   * @example Usage
   * ```ts
   * import { ListenerPool } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   *
   * const echo = `data:text/javascript,
   *   export default (conn) => conn.readable.pipeTo(conn.writable);`;
   * await using pool = new ListenerPool(echo, { threads: 2 });
   * const addrs = await pool.open(["127.0.0.1:0", "127.0.0.1:0"]);
   * assert.equal(addrs.length, 2);
   * assert.notEqual(addrs[0], addrs[1]);
   * await assert.rejects(pool.open("127.0.0.1:0"), /already listening/);
   * await assert.rejects(new ListenerPool(echo).open("unix:/tmp/x.sock"), TypeError);
   * ```
   *
   * @param addresses One TCP address (with `tls` for TLS) or a non-empty
   * list, as for {@linkcode NetListener.open}.
   * @returns The addresses listened on, with the real ports; a hostname
   * gives one per address it resolved to.
   * @throws {TypeError} If the list is empty, an address is a Unix socket
   * (which workers cannot share) or malformed, or the module has no default
   * export function.
   * @throws {RangeError} If a port is not an integer in 0..65535.
   * @throws {Error} If the pool is closed or already listening, if under
   * Deno the --unstable-net flag is missing, if the module fails to load,
   * or if an address cannot be bound. Workers this call started are ended.
   * @throws {WorkerCrashedError} If a worker died while opening.
   * @throws {DOMException} Named "AbortError" if `disconnect()` or
   * `close()` came while this call was still opening.
   */
  async open(addresses: ListenAddress | ListenAddress[]): Promise<Addr[]> {
    if (this.#state === "closed") {
      throw new Error(
        `Cannot open listener pool '${this.#name}' as it is closed`,
      );
    }
    if (this.#state !== "idle") {
      throw new Error(
        `Cannot open listener pool '${this.#name}' as it is already listening: give every address to one open() call, or disconnect() first`,
      );
    }
    const list = Array.isArray(addresses) ? [...addresses] : [addresses];
    if (list.length === 0) {
      throw new TypeError(
        "Cannot open listener pool as the address list is empty",
      );
    }
    for (const address of list) {
      if (isUnixAddress(address)) {
        throw argumentError(
          "Cannot open listener pool as an address",
          "a TCP address (workers cannot share a Unix socket)",
          address,
        );
      }
    }
    const unavailable = reusePortUnavailable("open listener pool");
    if (unavailable !== null) throw unavailable;
    this.#state = "opening";
    const started: Member[] = [];
    try {
      const members = this.#members.map((member, slot) => {
        if (member !== undefined) return member;
        const spawned = this.#spawn(slot);
        started.push(spawned);
        return spawned;
      });
      await Promise.all(members.map((member) => member.ready.promise));
      const [first, ...others] = members as [Member, ...Member[]];
      const groups = await this.#request(first, OPEN, list, true) as Addr[][];
      const shared = groups.flatMap((group, i) =>
        group.map((addr) => joinAddress(list[i]!, addr))
      );
      try {
        await Promise.all(
          others.map((member) => this.#request(member, OPEN, shared, false)),
        );
        if (this.#state !== "opening") {
          throw new DOMException(
            `Cannot open listener pool '${this.#name}' as it was disconnected or closed while opening`,
            "AbortError",
          );
        }
      } catch (error) {
        await this.#askWorkers(DISCONNECT);
        throw error;
      }
      this.#state = "listening";
      this.#shared = shared;
      this.#addrs = groups.flat();
      for (const member of members) member.serving = true;
      return [...this.#addrs];
    } catch (error) {
      if (this.#state === "opening") this.#state = "idle";
      for (const member of started) this.#retire(member);
      throw error;
    }
  }

  /**
   * Stops listening in every worker; accepted connections go on in their
   * workers. Idempotent; a later {@linkcode ListenerPool.open} listens
   * again.
   *
   * @returns A promise that resolves once no worker listens.
   */
  async disconnect(): Promise<void> {
    this.#stopListening();
    await this.#askWorkers(DISCONNECT);
  }

  /**
   * Shuts every worker's listener down as {@linkcode NetListener.shutdown}
   * does (it stops listening, waits until its accepted connections have
   * closed, and closes those still open at `timeoutMs`), then ends the
   * workers as {@linkcode ListenerPool.close}. A worker that dies meanwhile
   * is done: its connections closed with it. One that has not reported
   * {@linkcode CLOSE_DISCONNECT_MS} after `timeoutMs` (a handler that never
   * returns to the event loop, say) is ended with what it still holds.
   *
   * @example Usage
   * ```ts
   * import { ListenerPool } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   * import { once } from "node:events";
   * import { connect } from "node:net";
   *
   * const echo = `data:text/javascript,
   *   export default (conn) => conn.readable.pipeTo(conn.writable);`;
   * const pool = new ListenerPool(echo, { threads: 2 });
   * const [addr] = await pool.open("127.0.0.1:0");
   * assert.equal(addr?.transport, "tcp");
   * const client = connect(addr.port, "127.0.0.1");
   * client.write("still ");
   * // Once served, the connection goes on while the pool shuts down.
   * let text = String((await once(client, "data"))[0]);
   * const stopped = pool.shutdown({ timeoutMs: 5000 });
   * client.end("served");
   * for await (const chunk of client) text += chunk;
   * await stopped;
   * assert.equal(text, "still served");
   * assert.equal(pool.stats.active, 0);
   * ```
   *
   * @param options The `timeoutMs`.
   * @returns A promise that resolves once the workers have ended
   * (`stats.active` is then 0).
   * @throws {TypeError} If `timeoutMs` is not a number.
   * @throws {RangeError} If `timeoutMs` is negative or NaN.
   */
  async shutdown(options?: ShutdownOptions): Promise<void> {
    const what = "shut down listener pool";
    const { timeoutMs = SHUTDOWN_TIMEOUT_MS } = optionsObject(options, what);
    assertMs(timeoutMs, `Cannot ${what} as 'timeoutMs'`, true);
    this.#stopListening();
    await atMost(
      this.#askWorkers(SHUTDOWN, timeoutMs),
      timeoutMs + CLOSE_DISCONNECT_MS,
    );
    await this.close();
  }

  /**
   * Ends every worker at once: their listening sockets are closed first (a
   * worker that does not answer within {@linkcode CLOSE_DISCONNECT_MS} is
   * not waited for), then the workers end, closing their accepted
   * connections. Idempotent; the pool cannot be opened again.
   *
   * @example Usage
   * ```ts
   * import { ListenerPool } from "@iox/iox/listener";
   * import assert from "node:assert/strict";
   * import { connect } from "node:net";
   *
   * const echo = `data:text/javascript,
   *   export default (conn) => conn.readable.pipeTo(conn.writable);`;
   * const pool = new ListenerPool(echo, { threads: 2 });
   * const [addr] = await pool.open("127.0.0.1:0");
   * assert.equal(addr?.transport, "tcp");
   * await pool.close();
   * const refused = await new Promise((resolve) =>
   *   connect(addr.port, "127.0.0.1").on("error", resolve)
   * );
   * assert.equal((refused as { code?: string }).code, "ECONNREFUSED");
   * ```
   *
   * @returns A promise that resolves once no worker listens and every
   * worker was told to end.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#state = "closed";
      this.#stopListening();
      this.#closing = this.#endWorkers();
    }
    return this.#closing;
  }

  /**
   * Closes the pool, as {@linkcode ListenerPool.close}; call
   * {@linkcode ListenerPool.shutdown} first to let connections finish.
   *
   * @returns A promise that resolves when done.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // Terminating a worker closes its sockets some time later; asking it to
  // stop listening first means that no connection is accepted after close()
  // resolved.
  async #endWorkers(): Promise<void> {
    await atMost(this.#askWorkers(DISCONNECT), CLOSE_DISCONNECT_MS);
    for (const member of this.#members) {
      if (member !== undefined) this.#retire(member);
    }
  }

  #spawn(slot: number): Member {
    const member = new Member(slot);
    this.#members[slot] = member;
    member.worker = spawnWorker(WORKER_URL, `${this.#name} #${slot + 1}`, {
      message: (data) => this.#onMessage(member, data),
      failed: (error) => this.#lost(member, error),
    });
    member.worker.postMessage([
      INIT,
      this.#module.href,
      this.#listenerOptions,
      member.counters.buffer,
      member.tag,
    ]);
    return member;
  }

  #request(member: Member, kind: number, ...args: unknown[]): Promise<unknown> {
    if (member.gone) {
      return Promise.reject(new Error(`Worker ${member.slot + 1} has ended`));
    }
    const id = ++this.#nextRequest;
    const pending = Promise.withResolvers<unknown>();
    member.requests.set(id, pending);
    member.worker!.postMessage([kind, id, ...args]);
    return pending.promise;
  }

  // Sends every worker the request and waits for all the answers. A worker
  // that dies meanwhile counts as answered: its listening sockets and its
  // connections closed with it.
  async #askWorkers(kind: number, ...args: unknown[]): Promise<void> {
    await Promise.all(
      this.#members.map((member) =>
        member === undefined
          ? undefined
          : this.#request(member, kind, ...args).catch(() => {})
      ),
    );
  }

  // What stopping to listen means on this side: no address is shared, no
  // worker is replaced, and open() may listen again unless closed.
  #stopListening(): void {
    if (this.#state !== "closed") this.#state = "idle";
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#shared = [];
    this.#addrs = [];
  }

  // A message without the worker's tag was posted by the handler module
  // itself: ignored.
  #onMessage(member: Member, message: unknown): void {
    if (member.gone || !Array.isArray(message)) return;
    if (typeof message[0] !== "number") return;
    switch (message[0] - member.tag) {
      case READY:
        member.ready.resolve();
        break;
      case LOAD_FAILED:
        member.ready.reject(receiveError(message[1]));
        break;
      case DONE:
      case FAILED: {
        const pending = member.requests.get(message[1]);
        member.requests.delete(message[1]);
        if (message[0] - member.tag === DONE) pending?.resolve(message[2]);
        else pending?.reject(receiveError(message[2]));
        break;
      }
      case REPORT:
        this.#report(receiveError(message[1]));
        break;
      case CRASHED:
        this.#lost(member, receiveError(message[1]));
        break;
      case EXITING:
        this.#lost(member, new Error(`Worker called ${message[1]}`));
        break;
    }
  }

  // Ends a worker for good: what it counted stays in its slot (but its
  // connections are closed with it), whoever waits on it is told.
  #retire(member: Member, reason?: unknown): void {
    if (member.gone) return;
    member.gone = true;
    member.worker!.terminate();
    const { counters, slot } = member;
    if (this.#members[slot] === member) this.#members[slot] = undefined;
    const totals = this.#totals[slot]!;
    totals.accepted += counters[ACCEPTED]!;
    totals.rejected += counters[REJECTED]!;
    totals.errors += counters[ERRORS]!;
    const error = reason ??
      new DOMException(
        `Listener pool '${this.#name}' was closed`,
        "AbortError",
      );
    member.ready.reject(error);
    for (const pending of member.requests.values()) pending.reject(error);
    member.requests.clear();
  }

  #lost(member: Member, cause: unknown): void {
    if (member.gone) return;
    const message = messageOf(cause);
    const crash = new WorkerCrashedError(
      `Worker '${this.#name} #${
        member.slot + 1
      }' of the listener pool died: ${message}`,
      { cause },
    );
    this.#retire(member, crash);
    // While opening, open() reports it; a starting replacement retries.
    if (this.#state === "opening" || this.#state === "closed") return;
    this.#report(crash);
    if (this.#state === "listening" && member.serving) {
      const quick = performance.now() - member.started < QUICK_DEATH_MS;
      this.#replace(member.slot, quick ? this.#failures[member.slot]! + 1 : 0);
    }
  }

  // Starts a worker in the slot and makes it join the shared addresses; if
  // it cannot, tries again later, waiting longer each time.
  #replace(slot: number, failures: number): void {
    this.#failures[slot] = failures;
    const wait = failures === 0
      ? 0
      : Math.min(RESTART_MIN_MS * 2 ** (failures - 1), RESTART_MAX_MS);
    const timer = setTimeout(async () => {
      this.#timers.delete(timer);
      if (this.#state !== "listening" || this.#members[slot] !== undefined) {
        return;
      }
      const member = this.#spawn(slot);
      try {
        await member.ready.promise;
        if (this.#state === "listening") {
          await this.#request(member, OPEN, this.#shared, false);
        }
        // A disconnect() that came meanwhile reached it before it listened.
        if (this.#state === "listening") member.serving = true;
        else await this.#request(member, DISCONNECT);
      } catch (error) {
        // A worker that died was reported as such.
        if (!member.gone) {
          this.#retire(member);
          if (this.#state === "listening") this.#report(error);
        }
        if (this.#state === "listening") this.#replace(slot, failures + 1);
      }
    }, wait);
    this.#timers.add(timer);
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch (failure) {
      console.error(failure);
    }
  }
}
