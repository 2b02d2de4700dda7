// Copyright 2026 the iox authors. MIT license.
// Starting a module worker and learning when it fails or ends, the same way
// on every runtime: Deno fires "error" for an uncaught error or a module that
// fails to load and nothing when a worker exits; Bun fires "error" then
// "close", and "close" alone for `process.exit()` in the worker. What a
// worker does to end itself without an event is caught inside it
// (worker_exits.ts).

import { dataCloneError } from "../_util/error_transfer.ts";
import { runtime, unsupportedRuntime } from "./mod.ts";

/** What the owner of a worker hears from it. */
export interface WorkerEvents {
  /** A message the worker posted. */
  message(data: unknown): void;
  /**
   * The worker failed (uncaught error, undeliverable message) or ended; the
   * owner should consider it gone. May be called more than once.
   */
  failed(error: Error): void;
}

/**
 * Starts `url` as a module worker named `name`. On an unknown runtime a
 * missing `Worker` is a clear error, not a ReferenceError.
 */
export function spawnWorker(
  url: URL,
  name: string,
  events: WorkerEvents,
): Worker {
  if (typeof Worker !== "function") throw unsupportedRuntime("workers");
  const worker = new Worker(url, { type: "module", name });
  worker.addEventListener("message", (event) => events.message(event.data));
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    events.failed(new Error(event.message || "Worker error"));
  });
  worker.addEventListener("messageerror", () => {
    events.failed(
      dataCloneError("A message from the worker could not be deserialized"),
    );
  });
  // Only Bun tells the parent that a worker exited.
  worker.addEventListener("close", (event) => {
    const code = (event as Event & { code?: number }).code;
    events.failed(new Error(`Worker exited with code ${code ?? "?"}`));
  });
  return worker;
}

/** The current working directory of the process. */
export function cwd(): string {
  const g = globalThis as unknown as {
    Deno?: { cwd(): string };
    process?: { cwd(): string };
  };
  if (runtime === "deno") return g.Deno!.cwd();
  if (g.process !== undefined) return g.process.cwd();
  throw unsupportedRuntime("a relative module path");
}
