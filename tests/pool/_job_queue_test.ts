// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Job } from "../../src/pool/_job.ts";
import { JobQueue } from "../../src/pool/_job_queue.ts";

let order = 0;
function job(label: string, priority = 0): Job {
  return new Job(label, [], () => {}, priority, order++, { at: 0 });
}

function drain(queue: JobQueue): string[] {
  const labels: string[] = [];
  for (let next = queue.shift(); next; next = queue.shift()) {
    labels.push(next.label);
  }
  return labels;
}

describe("JobQueue", () => {
  test("highest priority first, FIFO among equals", () => {
    const queue = new JobQueue();
    for (
      const [label, priority] of [
        ["a", 0],
        ["b", 2],
        ["c", -1],
        ["d", 2],
        ["e", 0],
        ["f", 1],
      ] as const
    ) queue.push(job(label, priority));
    assert.equal(queue.size, 6);
    assert.equal(queue.highestPriority, 2);
    assert.equal(queue.peek()!.label, "b");
    assert.deepEqual(drain(queue), ["b", "d", "f", "a", "e", "c"]);
    assert.equal(queue.size, 0);
    assert.equal(queue.highestPriority, -Infinity);
    assert.equal(queue.peek(), undefined);
  });

  test("settled jobs are counted out and skipped", () => {
    const queue = new JobQueue();
    const jobs = ["a", "b", "c"].map((label) => job(label, 1));
    for (const each of jobs) queue.push(each);
    queue.push(job("low"));
    jobs[0]!.done = true;
    queue.forget();
    jobs[1]!.done = true;
    queue.forget();
    assert.equal(queue.size, 2);
    assert.equal(queue.peek()!.label, "c");
    jobs[2]!.done = true;
    queue.forget();
    assert.equal(queue.highestPriority, 0);
    assert.deepEqual(drain(queue), ["low"]);
  });

  test("jobs taken back go before the later ones of their priority, in their order", () => {
    const queue = new JobQueue();
    const [a, b, c, d] = ["a", "b", "c", "d"].map((label) => job(label));
    const high = job("high", 3);
    queue.push(c!);
    queue.push(d!);
    queue.requeue([b!, high, a!]);
    assert.deepEqual(drain(queue), ["high", "a", "b", "c", "d"]);
    // A job older than the first queued one, and one younger: each in place.
    const [e, f, g] = ["e", "f", "g"].map((label) => job(label));
    queue.push(e!);
    queue.push(g!);
    queue.requeue([f!]);
    assert.deepEqual(drain(queue), ["e", "f", "g"]);
  });

  test("grows past its ring's size and gives memory back", () => {
    const queue = new JobQueue();
    for (let i = 0; i < 5000; i++) queue.push(job(String(i), i % 3));
    const labels = drain(queue);
    assert.equal(labels.length, 5000);
    assert.deepEqual(labels.slice(0, 3), ["2", "5", "8"]);
    assert.equal(labels.at(-1), "4998");
  });
});
