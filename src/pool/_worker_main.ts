// Copyright 2026 the iox authors. MIT license.
// The bootstrap every ThreadPool worker runs. It learns the task module,
// its claim cells and the pool's workerData from the first message, imports
// the module, awaits its `setup(workerData)` export if there is one, tells
// the pool it is ready, then runs the tasks it is sent one at a time, in the
// order received, skipping those the pool took back. Results go back in
// batches: a message when the worker runs out of tasks, before it awaits an
// asynchronous task, and at least every half millisecond or 256 results in
// between, so the pool can top it up while it works. A stream (a generator
// export) is a task too: it holds the worker until it ends, and it is
// resumed only while the pool has granted it credit (free room in the
// stream's queue on the other side).
import {
  BATCH,
  CANCEL,
  ClaimCells,
  CRASHED,
  CREDIT,
  EXITING,
  type InitMessage,
  LOAD_FAILED,
  READY,
  RESULTS,
  SETUP_FAILED,
  VALUES,
} from "./_protocol.ts";
import { dataCloneError, sendError } from "../_util/error_transfer.ts";
import { isThenable } from "../_util/validate.ts";
import { onWorkerEnd, workerScope } from "../_util/worker_link.ts";

const scope = workerScope;
const post = scope.postMessage.bind(scope);
const FLUSH_EVERY_MS = 0.5;
const FLUSH_EVERY_RESULTS = 256;
const COMPACT_AFTER = 3 * 1024;

let tasks: Record<string, unknown> | undefined;
// Set once the module loaded and its `setup` returned.
let ready = false;
let claims: ClaimCells | undefined;
// Added to the kind of every message to the pool (see _protocol.ts).
let tag = 0;
let pending: unknown[] = [];
let next = 0;
// The sequence number of the last task taken from `pending`.
let passed = -1;
// Set while a task's promise or a stream is pending: new tasks wait for it.
let awaiting = false;
let results: unknown[] = [RESULTS];
let lastFlush = 0;
// When the last task ended (or the current run of tasks began): the next
// task's start. One clock read per task, not two: on Deno a read costs
// about as much as a trivial task.
let clock = 0;
// Set once this worker told the pool it is ending: it starts no more tasks.
let ending = false;

function flush(now = performance.now()): void {
  lastFlush = now;
  if (results.length === 1) return;
  const message = results;
  results = [RESULTS];
  message[0] = tag + RESULTS;
  try {
    post(message);
  } catch {
    // Some result cannot be cloned: find it and send an error instead.
    for (let i = 3; i < message.length; i += 4) {
      try {
        structuredClone(message[i]);
      } catch (error) {
        message[i - 1] = false;
        message[i] = sendError(
          dataCloneError("Cannot send the result of the task", error),
        );
      }
    }
    post(message);
  }
}

function noExport(verb: string, name: string): TypeError {
  return new TypeError(
    `Cannot ${verb} task '${name}' as the task module does not export a function of that name`,
  );
}

// Runs the pending tasks in order. Synchronous until a task returns a
// promise: then it sends the results so far and resumes once it settles,
// so a sync task costs no promise or microtask hop.
function drain(): void {
  clock = performance.now();
  while (next < pending.length) {
    if (next > COMPACT_AFTER) {
      pending = pending.slice(next);
      next = 0;
    }
    const seq = pending[next] as number;
    const name = pending[next + 1];
    const args = pending[next + 2] as unknown[];
    next += 3;
    passed = seq;
    if (ending) break;
    if (!claims!.claim(seq)) {
      credits.delete(seq);
      continue;
    }
    if (typeof name !== "string") {
      startStream(seq, (name as [string])[0], args);
      if (awaiting) return;
      continue;
    }
    const start = clock;
    let value: unknown;
    try {
      const fn = tasks![name];
      if (typeof fn !== "function") throw noExport("run", name);
      value = fn(...args);
    } catch (error) {
      record(seq, false, sendError(error), start);
      continue;
    }
    if (isThenable(value)) {
      flush(clock);
      awaiting = true;
      Promise.resolve(value).then(
        (result) => resume(seq, true, result, start),
        (error) => resume(seq, false, sendError(error), start),
      );
      return;
    }
    record(seq, true, value, start);
  }
  flush(clock);
}

function resume(seq: number, ok: boolean, value: unknown, start: number) {
  awaiting = false;
  record(seq, ok, value, start);
  drain();
}

function record(seq: number, ok: boolean, value: unknown, start: number) {
  const now = clock = performance.now();
  results.push(seq, ok, value, now - start);
  if (
    results.length > FLUSH_EVERY_RESULTS * 4 ||
    now - lastFlush > FLUSH_EVERY_MS
  ) flush(now);
}

/** The stream this worker runs, if any. */
interface Stream {
  seq: number;
  iterator: Iterator<unknown> | AsyncIterator<unknown>;
  async: boolean;
  start: number;
  /** How many more values the pool has room for. */
  credit: number;
  /** `[VALUES, seq, ...values]`: the values not yet sent. */
  batch: unknown[];
  timer: ReturnType<typeof setTimeout> | undefined;
  /** An async `next()` is in flight. */
  stepping: boolean;
  /** The pool cancelled it, or a value could not be sent. */
  stopping: boolean;
  /** `return()` was called or the generator finished. */
  ended: boolean;
  failure: DOMException | undefined;
}

let stream: Stream | undefined;
// Credit granted to streams this worker holds but has not started.
const credits = new Map<number, number>();

function startStream(seq: number, name: string, args: unknown[]): void {
  const start = performance.now();
  let iterator: unknown;
  try {
    const fn = tasks![name];
    if (typeof fn !== "function") throw noExport("stream", name);
    iterator = fn(...args);
  } catch (error) {
    record(seq, false, sendError(error), start);
    return;
  }
  const it = iterator as Partial<AsyncIterableIterator<unknown>>;
  const isAsync = typeof it?.[Symbol.asyncIterator] === "function";
  if (
    typeof it?.next !== "function" ||
    !(isAsync || typeof (it as Iterable<unknown>)[Symbol.iterator] ===
        "function")
  ) {
    // A promise from an async function that was streamed by mistake.
    if (isThenable(iterator)) Promise.resolve(iterator).catch(() => {});
    const error = new TypeError(
      `Cannot stream task '${name}' as the export is not a generator function`,
    );
    record(seq, false, sendError(error), start);
    return;
  }
  flush();
  awaiting = true;
  stream = {
    seq,
    iterator: it as AsyncIterator<unknown>,
    async: isAsync,
    start,
    credit: credits.get(seq) ?? 0,
    batch: [VALUES + tag, seq],
    timer: undefined,
    stepping: false,
    stopping: false,
    ended: false,
    failure: undefined,
  };
  credits.delete(seq);
  pump(stream);
}

// Resumes the generator while there is credit; a sync one runs here until
// the credit runs out, an async one one step per settled `next()`.
function pump(s: Stream): void {
  while (!s.stepping && !s.ended) {
    if (s.stopping) return stop(s);
    if (s.credit === 0) return sendValues(s);
    let step: unknown;
    try {
      step = s.iterator.next();
    } catch (error) {
      return finish(s, false, sendError(error));
    }
    if (!s.async) {
      if (!take(s, step as IteratorResult<unknown>)) return;
      continue;
    }
    s.stepping = true;
    // Values wait for more only as long as the next one comes quickly.
    if (s.batch.length > 2 && s.timer === undefined) {
      s.timer = setTimeout(() => sendValues(s), 1);
    }
    Promise.resolve(step).then(
      (result) => {
        s.stepping = false;
        if (s.stopping || take(s, result as IteratorResult<unknown>)) pump(s);
      },
      (error) => {
        s.stepping = false;
        finish(s, false, sendError(error));
      },
    );
  }
}

// Takes one step's value; false once the generator is done.
function take(s: Stream, step: IteratorResult<unknown>): boolean {
  if (step.done) {
    finish(s, true, undefined);
    return false;
  }
  s.batch.push(step.value);
  s.credit--;
  if (
    s.batch.length > FLUSH_EVERY_RESULTS ||
    performance.now() - lastFlush > FLUSH_EVERY_MS
  ) sendValues(s);
  return true;
}

function sendValues(s: Stream): void {
  if (s.timer !== undefined) {
    clearTimeout(s.timer);
    s.timer = undefined;
  }
  if (s.batch.length === 2) return;
  const message = s.batch;
  s.batch = [VALUES + tag, s.seq];
  lastFlush = performance.now();
  try {
    post(message);
  } catch (error) {
    s.failure ??= dataCloneError(
      "Cannot send the value the generator yielded",
      error,
    );
    s.stopping = true;
    if (!s.stepping) stop(s);
  }
}

// Stops the generator early: its `finally` blocks run here.
function stop(s: Stream): void {
  if (s.ended) return;
  s.ended = true;
  let closing: unknown;
  try {
    closing = s.iterator.return?.();
  } catch (error) {
    return finish(s, false, sendError(error));
  }
  const done = (): void =>
    s.failure === undefined
      ? finish(s, true, undefined)
      : finish(s, false, sendError(s.failure));
  if (!isThenable(closing)) return done();
  Promise.resolve(closing).then(
    done,
    (error) => finish(s, false, sendError(error)),
  );
}

function finish(s: Stream, ok: boolean, value: unknown): void {
  s.ended = true;
  if (!s.stopping) {
    sendValues(s);
    // The last values could not be sent: the stream fails with that, as it
    // would had they been sent before the generator ended.
    if (s.failure !== undefined) {
      ok = false;
      value = sendError(s.failure);
    }
  }
  if (s.timer !== undefined) clearTimeout(s.timer);
  stream = undefined;
  awaiting = false;
  record(s.seq, ok, value, s.start);
  drain();
}

async function load(init: InitMessage): Promise<void> {
  try {
    tasks = await import(init.module);
  } catch (error) {
    post([tag + LOAD_FAILED, sendError(error)]);
    return;
  }
  const setup = tasks!.setup;
  if (typeof setup === "function") {
    try {
      await setup(init.workerData);
    } catch (error) {
      post([tag + SETUP_FAILED, sendError(error)]);
      return;
    }
  }
  ready = true;
  post([tag + READY]);
  drain();
}

function end(kind: number, detail: unknown): void {
  if (ending) return;
  ending = true;
  flush();
  post([tag + kind, detail]);
}

// An uncaught error or unhandled rejection outside a task ends this worker:
// the pool hears it from here with the real error, then terminates us.
onWorkerEnd({
  exited: (how) => end(EXITING, how),
  crashed: (error) => end(CRASHED, sendError(error)),
});

scope.addEventListener("message", (event) => {
  const message = (event as MessageEvent<unknown[] | InitMessage>).data;
  if (!Array.isArray(message)) {
    claims = new ClaimCells(message.claims);
    tag = message.tag;
    void load(message);
    return;
  }
  switch (message[0]) {
    case BATCH:
      if (next === pending.length) {
        pending = message;
        next = 1;
      } else {
        for (let i = 1; i < message.length; i++) pending.push(message[i]);
      }
      if (ready && !awaiting) drain();
      break;
    case CREDIT: {
      const seq = message[1] as number;
      const more = message[2] as number;
      if (stream?.seq === seq) {
        stream.credit += more;
        pump(stream);
      } else if (seq > passed) {
        credits.set(seq, (credits.get(seq) ?? 0) + more);
      }
      break;
    }
    case CANCEL: {
      const s = stream;
      if (s !== undefined && s.seq === message[1]) {
        s.stopping = true;
        pump(s);
      }
      break;
    }
  }
});
