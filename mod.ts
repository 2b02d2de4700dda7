// Copyright 2026 the iox authors. MIT license.
/**
 * iox brings proven C/C++ concurrency designs to Deno and Bun.
 *
 * @module
 */
export * from "./src/errors.ts";
export * from "./src/executor.ts";
export * from "./src/thread_pool.ts";
export * from "./src/task.ts";
export * from "./src/listener.ts";
