// Copyright 2026 the iox authors. MIT license.
// The bootstrap every ListenerPool worker runs: it imports the handler
// module, creates one NetListener whose TCP sockets share their port with
// the other workers' (SO_REUSEPORT), and answers the pool's requests. Its
// counters go to shared memory, so that the pool reads `stats` without a
// message: when a handler is called and when its promise settles, before
// every error report, and every SYNC_EVERY_MS for what no handler sees (a
// rejected connection, one that closed later).
//
// Besides its default export, the module may export `listenerOptions`: more
// options for this worker's NetListener, functions included (they run
// here, where they can use the connection they are given).
import {
  ACCEPTED,
  ACTIVE,
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
import { type ListenAddress, NetListener } from "./listener.ts";
import type { Addr, Connection } from "./connection.ts";
import { listenerInternals } from "./_internals.ts";
import { sendError } from "../_util/error_transfer.ts";
import {
  argumentError,
  formatValue,
  isThenable,
  messageOf,
} from "../_util/validate.ts";
import { onWorkerEnd, workerScope } from "../_util/worker_link.ts";

const SYNC_EVERY_MS = 10;

const scope = workerScope;
const post = scope.postMessage.bind(scope);
let tag = 0;
let listener: NetListener | undefined;
let counters: Float64Array | undefined;
let ending = false;

function sync(): void {
  if (listener === undefined || counters === undefined) return;
  const { accepted, rejected, active, errors } = listener.stats;
  counters[ACCEPTED] = accepted;
  counters[REJECTED] = rejected;
  counters[ACTIVE] = active;
  counters[ERRORS] = errors;
}

function reportError(error: unknown): void {
  sync();
  post([tag + REPORT, sendError(error)]);
}

function loadFailed(error: unknown): void {
  post([tag + LOAD_FAILED, sendError(error)]);
}

async function init(
  href: string,
  options: Record<string, unknown>,
  buffer: SharedArrayBuffer,
): Promise<void> {
  let handler: unknown;
  let own: unknown;
  try {
    ({ default: handler, listenerOptions: own } = await import(href));
  } catch (error) {
    const reason = messageOf(error);
    loadFailed(
      new Error(
        `Cannot open listener pool as module '${href}' failed to load: ${reason}`,
        { cause: error },
      ),
    );
    return;
  }
  if (typeof handler !== "function") {
    loadFailed(
      new TypeError(
        `Cannot open listener pool as module '${href}' must have a default export that is a function: current value is ${
          formatValue(handler)
        }`,
      ),
    );
    return;
  }
  if (own !== undefined && (typeof own !== "object" || own === null)) {
    loadFailed(
      argumentError(
        `Cannot open listener pool as the 'listenerOptions' export of module '${href}'`,
        "an object",
        own,
      ),
    );
    return;
  }
  const serve = handler as (conn: Connection) => unknown;
  try {
    // The module's own options may hold functions (they run here); the
    // pool's options and its onError come last and win.
    listener = new NetListener({ ...own, ...options, onError: reportError });
  } catch (error) {
    loadFailed(error);
    return;
  }
  listenerInternals.shareTcpPorts(listener);
  counters = new Float64Array(buffer);
  listener.setClientHandler((conn) => {
    let result: unknown;
    try {
      result = serve(conn);
    } finally {
      sync();
    }
    // The listener handles a rejection; this only publishes the end.
    if (isThenable(result)) result.then(sync, sync);
    return result;
  });
  setInterval(sync, SYNC_EVERY_MS);
  post([tag + READY]);
}

// The first worker opens the addresses one by one to learn which concrete
// addresses (and ports) each one became; if one fails, nothing else listens
// yet, so disconnecting undoes the others.
async function openFirst(addresses: ListenAddress[]): Promise<Addr[][]> {
  const groups: Addr[][] = [];
  try {
    for (const address of addresses) groups.push(await listener!.open(address));
  } catch (error) {
    await listener!.disconnect();
    throw error;
  }
  return groups;
}

async function request(id: number, work: Promise<unknown>): Promise<void> {
  try {
    const result = await work;
    sync();
    post([tag + DONE, id, result]);
  } catch (error) {
    post([tag + FAILED, id, sendError(error)]);
  }
}

function end(kind: number, detail: unknown): void {
  if (ending) return;
  ending = true;
  sync();
  post([tag + kind, detail]);
}

// An uncaught error or unhandled rejection (in a handler's stray callback,
// say) ends this worker: the pool hears it from here with the real error,
// then replaces us.
onWorkerEnd({
  exited: (how) => end(EXITING, how),
  crashed: (error) => end(CRASHED, sendError(error)),
});

scope.addEventListener("message", (event) => {
  const message = (event as MessageEvent<unknown[]>).data;
  // Anything but the pool's own messages (the handler module may have its
  // own) is ignored.
  if (!Array.isArray(message)) return;
  switch (message[0]) {
    case INIT:
      if (tag !== 0) return;
      tag = message[4] as number;
      void init(
        message[1] as string,
        message[2] as Record<string, unknown>,
        message[3] as SharedArrayBuffer,
      );
      break;
    case OPEN: {
      const addresses = message[2] as ListenAddress[];
      void request(
        message[1] as number,
        message[3]
          ? openFirst(addresses)
          : listener!.open(addresses).then(() => undefined),
      );
      break;
    }
    case DISCONNECT:
      // Before the module loaded there is nothing to stop.
      void request(
        message[1] as number,
        Promise.resolve(listener?.disconnect()),
      );
      break;
    case SHUTDOWN:
      // The answer comes after the last connection closed, and publishes
      // the counters that say so.
      void request(
        message[1] as number,
        Promise.resolve(
          listener?.shutdown({ timeoutMs: message[2] as number }),
        ),
      );
      break;
  }
});
