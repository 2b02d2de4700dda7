// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Job } from "../../src/pool/_job.ts";
import { Ledger } from "../../src/pool/_ledger.ts";
import { Recovery } from "../../src/pool/_recovery.ts";
import { Scheduler } from "../../src/pool/_scheduler.ts";
import type { PoolWorker } from "../../src/pool/_worker.ts";

let order = 0;

/** A job and its promise, counted as accepted by `ledger`. */
function job(ledger: Ledger, label: string): [Job, Promise<unknown>] {
  const { promise, resolve } = Promise.withResolvers<unknown>();
  ledger.opened();
  return [new Job(label, [], resolve, 0, order++, { at: 0 }), promise];
}

/** What a worker does when retired: hands back the jobs it holds. */
function worker(id: number, held: Job[]): PoolWorker {
  const stand = {
    id,
    idle: false,
    retired: false,
    retire(): Job[] {
      stand.retired = true;
      return held;
    },
  };
  return stand as unknown as PoolWorker;
}

/** A Recovery over a scheduler with two workers and a queue. */
function setUp() {
  const ledger = new Ledger();
  const exits: [number, unknown][] = [];
  let settled = 0;
  const scheduler = new Scheduler({
    maxThreads: 2,
    minThreads: 0,
    maxTasksPerWorker: Infinity,
    idleTimeoutMs: Infinity,
  }, {
    spawn: () => assert.fail("no worker is started"),
    spawnFailed: () => assert.fail("no worker is started"),
    unsendable: () => assert.fail("nothing is sent"),
    retired: (worker, reason) => exits.push([worker.id, reason]),
    drained: () => {},
    passed: () => {},
  });
  const [a, runningA] = job(ledger, "a");
  const [b, runningB] = job(ledger, "b");
  const [c, queuedC] = job(ledger, "c");
  const [d, queuedD] = job(ledger, "d");
  const workers = [worker(1, [a]), worker(2, [b])];
  for (const each of workers) scheduler.workers.add(each);
  // Straight into the queue: no pass runs, which would give them to the
  // stand-in workers.
  scheduler.queue.push(c);
  scheduler.queue.push(d);
  const recovery = new Recovery({
    name: "test",
    module: "file:///tasks.ts",
    scheduler,
    ledger,
    settled: () => settled++,
  });
  return {
    recovery,
    scheduler,
    ledger,
    workers,
    exits,
    settledCount: () => settled,
    jobs: [a, b, c, d],
    promises: [runningA, runningB, queuedC, queuedD],
  };
}

describe("Recovery", () => {
  test("rejectAll retires every worker and rejects its jobs and the queued ones, each with its own error", async () => {
    const {
      recovery,
      scheduler,
      ledger,
      workers,
      exits,
      settledCount,
      promises,
    } = setUp();
    const errors: Error[] = [];
    recovery.rejectAll((job) => {
      const error = new Error(`stop ${job.label}`);
      errors.push(error);
      return error;
    });
    assert.deepEqual(exits, [[1, undefined], [2, undefined]]);
    assert.ok(workers.every((each) => each.retired));
    assert.equal(scheduler.workers.size, 0);
    assert.equal(scheduler.queue.size, 0);
    assert.equal(ledger.unsettled, 0);
    assert.equal(ledger.failed, 4);
    assert.equal(settledCount(), 1);
    assert.deepEqual(errors.map((error) => error.message), [
      "stop a",
      "stop b",
      "stop c",
      "stop d",
    ]);
    for (const [i, promise] of promises.entries()) {
      await assert.rejects(promise, (error) => error === errors[i]);
    }
  });

  test("rejectAll gives each worker's 'workerexit' the exit reason and skips settled jobs", async () => {
    const { recovery, ledger, exits, jobs, promises } = setUp();
    const [runningA, ...rest] = promises;
    ledger.resolve(jobs[0]!, "done");
    const cause = new Error("gone");
    const rejected: string[] = [];
    recovery.rejectAll((job) => {
      rejected.push(job.label);
      return cause;
    }, cause);
    assert.deepEqual(exits, [[1, cause], [2, cause]]);
    assert.deepEqual(rejected, ["a", "b", "c", "d"]);
    assert.equal(ledger.completed, 1);
    assert.equal(ledger.failed, 3);
    assert.equal(await runningA, "done");
    for (const promise of rest) {
      await assert.rejects(promise, (error) => error === cause);
    }
    recovery.rejectAll(() => assert.fail("nothing is left to reject"));
    assert.equal(ledger.failed, 3);
  });

  test("loadFailed rejects every job with the load failure, once", async () => {
    const { recovery, exits, promises } = setUp();
    const cause = new SyntaxError("Unexpected token");
    recovery.loadFailed(cause);
    assert.equal(recovery.loadError, cause);
    assert.deepEqual(exits, [[1, cause], [2, cause]]);
    for (const [i, promise] of promises.entries()) {
      const label = "abcd"[i];
      await assert.rejects(promise, {
        name: "Error",
        message:
          `Cannot run task '${label}' as the task module 'file:///tasks.ts' of thread pool 'test' failed to load: Unexpected token`,
        cause,
      });
    }
    recovery.loadFailed(new Error("again"));
    assert.equal(recovery.loadError, cause);
    assert.equal(exits.length, 2);
  });
});
