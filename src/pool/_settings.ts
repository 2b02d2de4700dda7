// Copyright 2026 the iox authors. MIT license.
// A pool's constructor arguments, checked once, with their defaults.
import { dataCloneError } from "../_util/error_transfer.ts";
import { resolveModule } from "../_util/module_url.ts";
import type { ThreadPoolOptions } from "./options.ts";
import {
  assertInteger,
  assertMs,
  notAString,
  optionsObject,
} from "../_util/validate.ts";
import type { SchedulerLimits } from "./_scheduler.ts";

/** What a pool was created with, checked. */
export interface PoolSettings extends SchedulerLimits {
  module: URL;
  name: string;
  maxQueue: number;
  taskTimeoutMs: number;
  workerData: unknown;
}

/**
 * Checks `new ThreadPool(module, options)`'s arguments.
 *
 * @throws {TypeError} For a module that is neither a URL nor a path, or an
 * option of the wrong type.
 * @throws {RangeError} For an option out of its range.
 * @throws {DOMException} "DataCloneError" for `workerData` that cannot be
 * cloned.
 */
export function readSettings(
  module: unknown,
  options: ThreadPoolOptions | undefined,
): PoolSettings {
  const what = "create thread pool";
  const option = (name: string): string => `Cannot ${what} as '${name}'`;
  const url = resolveModule(module, what);
  const {
    threads,
    minThreads = 0,
    maxQueue = Infinity,
    name = "ThreadPool",
    idleTimeoutMs = Infinity,
    taskTimeoutMs = Infinity,
    maxTasksPerWorker = Infinity,
    workerData,
  } = optionsObject(options, what);
  assertInteger(minThreads, option("minThreads"), 0);
  const maxThreads = threads === undefined
    ? Math.max(navigator.hardwareConcurrency, minThreads)
    : threads;
  assertInteger(maxThreads, option("threads"), 1);
  assertInteger(minThreads, option("minThreads"), 0, maxThreads);
  assertInteger(maxQueue, option("maxQueue"), 0, Infinity, true);
  if (typeof name !== "string") throw notAString(option("name"), name);
  assertMs(idleTimeoutMs, option("idleTimeoutMs"), true);
  assertMs(taskTimeoutMs, option("taskTimeoutMs"), false);
  assertInteger(
    maxTasksPerWorker,
    option("maxTasksPerWorker"),
    1,
    Infinity,
    true,
  );
  try {
    structuredClone(workerData);
  } catch (error) {
    throw dataCloneError(
      `${option("workerData")} must be structured-cloneable`,
      error,
    );
  }
  return {
    module: url,
    name,
    maxThreads,
    minThreads,
    maxQueue,
    idleTimeoutMs,
    taskTimeoutMs,
    maxTasksPerWorker,
    workerData,
  };
}
