// Copyright 2026 the iox authors. MIT license.
// What ThreadPool's and ListenerPool's workers share with their owners:
// a tag that marks the library's own messages (a task or handler may post
// messages of its own), and, inside the worker, learning every way the
// worker can end so that the owner hears why before it goes.

import { interceptExits } from "../_runtime/worker_exits.ts";

/** A tag for a new worker's messages: a random multiple of 16 above 0. */
export function messageTag(): number {
  return (crypto.getRandomValues(new Uint32Array(1))[0]! + 1) * 16;
}

/** What a worker's bootstraps use of their global scope. */
export interface WorkerScope {
  /** Posts to the worker's owner. */
  postMessage(message: unknown): void;
  /** Listens for "message", "error" and "unhandledrejection". */
  addEventListener(
    type: string,
    listener: (event: Event & { error?: unknown; reason?: unknown }) => void,
  ): void;
}

/** This worker's global scope, for the bootstraps that run inside one. */
export const workerScope: WorkerScope = globalThis as unknown as WorkerScope;

/** How a worker is ending. */
export interface WorkerEnd {
  /** It ends itself, e.g. "Deno.exit(3)" or "self.close()". */
  exited(how: string): void;
  /** An uncaught error or unhandled rejection ends it. */
  crashed(error: unknown): void;
}

/**
 * Inside a worker: calls `end` before the worker ends itself or dies of an
 * uncaught error or unhandled rejection (whose default report is
 * suppressed: the owner reports it with the real error).
 */
export function onWorkerEnd(end: WorkerEnd): void {
  interceptExits(end.exited);
  workerScope.addEventListener("error", (event) => {
    event.preventDefault();
    end.crashed(event.error);
  });
  workerScope.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    end.crashed(event.reason);
  });
}
