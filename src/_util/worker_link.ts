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
  const scope = globalThis as unknown as {
    addEventListener(
      type: string,
      listener: (event: Event & { error?: unknown; reason?: unknown }) => void,
    ): void;
  };
  scope.addEventListener("error", (event) => {
    event.preventDefault();
    end.crashed(event.error);
  });
  scope.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    end.crashed(event.reason);
  });
}
