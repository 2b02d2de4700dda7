// Copyright 2026 the iox authors. MIT license.
// The block list of the handler queues, and the queues of Executor and
// Strand across block boundaries.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Block,
  BLOCK_LENGTH,
  BlockList,
  MAX_SPARE_BLOCKS,
} from "../../src/executor/_queue_blocks.ts";
import { Executor, Strand } from "../../src/executor.ts";

describe("BlockList", () => {
  test("gives full blocks back oldest first", () => {
    const list = new BlockList();
    const blocks: Block[] = [[], [], []];
    for (const block of blocks) list.append(block);
    assert.equal(list.length, 3);
    assert.equal(list.shift([]), blocks[0]);
    list.append([]);
    assert.equal(list.shift([]), blocks[1]);
    assert.equal(list.shift([]), blocks[2]);
    assert.equal(list.length, 1);
  });

  test("append returns a preallocated block, or a spare once there is one", () => {
    const list = new BlockList();
    const fresh = list.append([]);
    assert.equal(fresh.length, BLOCK_LENGTH);
    const used: Block = [];
    list.shift(used); // kept as a spare
    assert.equal(list.append([]), used);
    assert.notEqual(list.append([]), used); // used once only
  });

  test("keeps at most MAX_SPARE_BLOCKS spares", () => {
    const list = new BlockList();
    const count = MAX_SPARE_BLOCKS + 5;
    for (let i = 0; i < count; i++) list.append([]);
    const used = Array.from({ length: count }, (): Block => []);
    for (const block of used) list.shift(block);
    const reused = new Set<Block>();
    for (let i = 0; i < count; i++) reused.add(list.append([]));
    const kept = used.filter((block) => reused.has(block));
    assert.equal(kept.length, MAX_SPARE_BLOCKS);
  });
});

describe("handler queues across blocks", () => {
  const total = BLOCK_LENGTH * 5 + 17;

  test("Executor: FIFO across blocks, with posts while it drains", async () => {
    const io = new Executor();
    const seen: number[] = [];
    for (let i = 0; i < total; i++) {
      io.post(() => {
        seen.push(i);
        // Posted while draining: joins the back, after everything before.
        if (i % 1000 === 0) io.post(() => seen.push(total + i));
      });
    }
    const extra = Math.ceil(total / 1000);
    assert.equal(await io.run(), total + extra);
    const expected = Array.from({ length: total }, (_, i) => i);
    for (let i = 0; i < total; i += 1000) expected.push(total + i);
    assert.deepEqual(seen, expected);
  });

  test("Executor: a throw mid-block keeps the rest queued, in order", async () => {
    const io = new Executor();
    const seen: number[] = [];
    const thrower = BLOCK_LENGTH + 3;
    for (let i = 0; i < total; i++) {
      io.post(() => {
        seen.push(i);
        if (i === thrower) throw new Error("mid-block");
      });
    }
    await assert.rejects(io.run(), { message: "mid-block" });
    assert.equal(seen.length, thrower + 1);
    assert.equal(await io.run(), total - thrower - 1);
    assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i));
  });

  test("Executor: runOne and poll count across blocks", async () => {
    const io = new Executor();
    let ran = 0;
    for (let i = 0; i < total; i++) io.post(() => ran++);
    assert.equal(await io.runOne(), 1);
    assert.equal(io.pollOne(), 1);
    assert.equal(io.poll(), total - 2);
    assert.equal(ran, total);
  });

  test("Executor: reused for bursts, same results each time", async () => {
    const io = new Executor();
    for (let burst = 0; burst < 3; burst++) {
      const seen: number[] = [];
      for (let i = 0; i < total; i++) io.post(() => seen.push(i));
      io.restart();
      assert.equal(await io.run(), total);
      assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i));
    }
  });

  test("Strand: FIFO across blocks, with posts while it runs", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const seen: number[] = [];
    for (let i = 0; i < total; i++) {
      strand.post(() => {
        seen.push(i);
        if (i % 1000 === 0) strand.post(() => seen.push(total + i));
      });
    }
    const extra = Math.ceil(total / 1000);
    assert.equal(await io.run(), total + extra);
    const expected = Array.from({ length: total }, (_, i) => i);
    for (let i = 0; i < total; i += 1000) expected.push(total + i);
    assert.deepEqual(seen, expected);
  });

  test("Strand: an async handler in a later block holds the strand", async () => {
    const io = new Executor();
    const strand = new Strand(io);
    const log: string[] = [];
    for (let i = 0; i < total; i++) {
      if (i === BLOCK_LENGTH * 2) {
        strand.post(async () => {
          log.push("async start");
          await new Promise((resolve) => setTimeout(resolve, 1));
          log.push("async end");
        });
      } else if (i === BLOCK_LENGTH * 2 + 1) {
        strand.post(() => log.push("next"));
      } else {
        strand.post(() => {});
      }
    }
    assert.equal(await io.run(), total);
    assert.deepEqual(log, ["async start", "async end", "next"]);
  });
});
