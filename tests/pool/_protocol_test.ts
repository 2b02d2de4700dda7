// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClaimCells, RING_SIZE, slotOf } from "../../src/pool/_protocol.ts";
import { messageTag } from "../../src/_util/worker_link.ts";

describe("ClaimCells", () => {
  test("a task is claimed once, unless revoked first; started counts claims", () => {
    const pool = new ClaimCells();
    const worker = new ClaimCells(pool.buffer);
    pool.assign(0);
    pool.assign(1);
    assert.equal(worker.claim(0), true);
    assert.equal(worker.claim(0), false, "claimed twice");
    assert.equal(pool.revoke(0), false, "revoked after it started");
    assert.equal(pool.revoke(1), true);
    assert.equal(worker.claim(1), false, "claimed after it was revoked");
    assert.equal(pool.revoke(1), false, "revoked twice");
    assert.equal(pool.started, 1);
    assert.equal(worker.started, 1);
  });

  test("a late claim of a reused cell does not take the later task", () => {
    const pool = new ClaimCells();
    const worker = new ClaimCells(pool.buffer);
    pool.assign(5);
    assert.equal(pool.revoke(5), true);
    const later = 5 + RING_SIZE;
    assert.equal(slotOf(later), slotOf(5));
    pool.assign(later);
    assert.equal(worker.claim(5), false);
    assert.equal(worker.claim(later), true);
    assert.equal(pool.revoke(later), false);
  });

  test("cells are shared memory: a claim in another thread is seen here", async () => {
    const pool = new ClaimCells();
    pool.assign(3);
    const source = `
      onmessage = (event) => {
        const cells = new Int32Array(event.data);
        const ok = Atomics.compareExchange(cells, 3, 3 * 4, 3 * 4 + 1) === 3 * 4;
        postMessage(ok);
      };`;
    const worker = new Worker(
      `data:text/javascript,${encodeURIComponent(source)}`,
      { type: "module" },
    );
    try {
      const claimed = new Promise((resolve) => {
        worker.onmessage = (event) => resolve(event.data);
      });
      worker.postMessage(pool.buffer);
      assert.equal(await claimed, true);
      assert.equal(pool.revoke(3), false);
    } finally {
      worker.terminate();
    }
  });

  test("message tags are positive multiples of 16, so kinds never collide", () => {
    for (let i = 0; i < 100; i++) {
      const tag = messageTag();
      assert.ok(tag > 0 && tag % 16 === 0 && Number.isSafeInteger(tag));
    }
  });
});
