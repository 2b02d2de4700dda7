// Copyright 2026 the iox authors. MIT license.
// The bootstrap every ThreadPool worker runs. It learns the task module and
// its claim cells from the first message, imports the module, then runs the
// tasks it is sent one at a time, in the order received, skipping those the
// pool took back. Results go back in batches: a message when the worker runs
// out of tasks, before it awaits an asynchronous task, and at least every
// half millisecond or 256 results in between, so the pool can top it up
// while it works.
import {
  BATCH,
  ClaimCells,
  CRASHED,
  EXITING,
  INIT,
  LOAD_FAILED,
  RESULTS,
} from "./_protocol.ts";
import { sendError } from "./_error_transfer.ts";
import { isThenable } from "../_util/validate.ts";
import { interceptExits } from "../_runtime/worker_exits.ts";

interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(
    type: string,
    listener: (event: Event & { error?: unknown; reason?: unknown }) => void,
  ): void;
}

const scope = globalThis as unknown as WorkerScope;
const post = scope.postMessage.bind(scope);
const FLUSH_EVERY_MS = 0.5;
const FLUSH_EVERY_RESULTS = 256;
const COMPACT_AFTER = 3 * 1024;

let tasks: Record<string, unknown> | undefined;
let claims: ClaimCells | undefined;
// Added to the kind of every message to the pool (see _shared_queue.ts).
let tag = 0;
let pending: unknown[] = [];
let next = 0;
// Set while a task's promise is pending: new tasks wait for it.
let awaiting = false;
let results: unknown[] = [RESULTS];
let lastFlush = 0;
// Set once this worker told the pool it is ending: it starts no more tasks.
let ending = false;

function flush(): void {
  lastFlush = performance.now();
  if (results.length === 1) return;
  const message = results;
  results = [RESULTS];
  message[0] = tag + RESULTS;
  try {
    post(message);
  } catch {
    // Some result cannot be cloned: find it and send an error instead.
    for (let i = 3; i < message.length; i += 3) {
      try {
        structuredClone(message[i]);
      } catch (error) {
        message[i - 1] = false;
        message[i] = sendError(
          new DOMException(
            `Cannot send the result of the task: ${
              error instanceof Error ? error.message : String(error)
            }`,
            "DataCloneError",
          ),
        );
      }
    }
    post(message);
  }
}

// Runs the pending tasks in order. Synchronous until a task returns a
// promise: then it sends the results so far and resumes once it settles,
// so a sync task costs no promise or microtask hop.
function drain(): void {
  while (next < pending.length) {
    if (next > COMPACT_AFTER) {
      pending = pending.slice(next);
      next = 0;
    }
    const seq = pending[next] as number;
    const name = pending[next + 1] as string;
    const args = pending[next + 2] as unknown[];
    next += 3;
    if (ending) break;
    if (!claims!.claim(seq)) continue;
    let value: unknown;
    try {
      const fn = tasks![name];
      if (typeof fn !== "function") {
        throw new TypeError(
          `Cannot run task '${name}' as the task module does not export a function of that name`,
        );
      }
      value = fn(...args);
    } catch (error) {
      record(seq, false, sendError(error));
      continue;
    }
    if (isThenable(value)) {
      flush();
      awaiting = true;
      Promise.resolve(value).then(
        (result) => resume(seq, true, result),
        (error) => resume(seq, false, sendError(error)),
      );
      return;
    }
    record(seq, true, value);
  }
  flush();
}

function resume(seq: number, ok: boolean, value: unknown): void {
  awaiting = false;
  record(seq, ok, value);
  drain();
}

function record(seq: number, ok: boolean, value: unknown): void {
  results.push(seq, ok, value);
  if (
    results.length > FLUSH_EVERY_RESULTS * 3 ||
    performance.now() - lastFlush > FLUSH_EVERY_MS
  ) flush();
}

async function load(href: string): Promise<void> {
  try {
    tasks = await import(href);
  } catch (error) {
    post([tag + LOAD_FAILED, sendError(error)]);
    return;
  }
  if (!awaiting) drain();
}

function end(kind: number, detail: unknown): void {
  if (ending) return;
  ending = true;
  flush();
  post([tag + kind, detail]);
}

interceptExits((how) => end(EXITING, how));

// An uncaught error or unhandled rejection outside a task ends this worker:
// the pool hears it from here with the real error, then terminates us.
scope.addEventListener("error", (event) => {
  event.preventDefault();
  end(CRASHED, sendError(event.error));
});
scope.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  end(CRASHED, sendError(event.reason));
});

scope.addEventListener("message", (event) => {
  const message = (event as MessageEvent<unknown[]>).data;
  if (message[0] === BATCH) {
    if (next === pending.length) {
      pending = message;
      next = 1;
    } else {
      for (let i = 1; i < message.length; i++) pending.push(message[i]);
    }
    if (tasks !== undefined && !awaiting) drain();
  } else if (message[0] === INIT) {
    claims = new ClaimCells(message[2] as SharedArrayBuffer);
    tag = message[3] as number;
    void load(message[1] as string);
  }
});
