// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AcceptQueue } from "../../src/_runtime/accept_queue.ts";
import { ConnectionError } from "../../src/listener.ts";

class Socket {
  closes = 0;
  constructor(readonly name: string) {}
  close(): void {
    this.closes++;
  }
}

describe("AcceptQueue", () => {
  test("hands out sockets and failures in the order they came", async () => {
    const queue = new AcceptQueue<Socket>();
    const a = new Socket("a");
    const b = new Socket("b");
    const failure = new Error("EMFILE");
    queue.push(a);
    queue.fail(failure);
    queue.push(b);
    assert.equal(await queue.accept(), a);
    await assert.rejects(queue.accept(), failure);
    assert.equal(await queue.accept(), b);
  });

  test("a waiting accept() is settled by the next push or failure", async () => {
    const queue = new AcceptQueue<Socket>();
    assert.equal(queue.waited, false);
    const first = queue.accept();
    assert.equal(queue.waited, true);
    assert.equal(queue.accept(), first, "one wait, shared");
    const a = new Socket("a");
    queue.push(a);
    assert.equal(queue.waited, false);
    assert.equal(await first, a);
    const second = queue.accept();
    const failure = new Error("failed");
    queue.fail(failure);
    await assert.rejects(second, failure);
  });

  test("close() closes what it holds, ends a wait with null and takes nothing more", async () => {
    const queue = new AcceptQueue<Socket>(10_000);
    const ready = new Socket("ready");
    const shaking = new Socket("shaking");
    queue.push(ready);
    queue.startHandshake(shaking);
    queue.close();
    queue.close();
    assert.equal(ready.closes, 1);
    assert.equal(shaking.closes, 1);
    assert.equal(queue.endHandshake(shaking), false);
    assert.equal(await queue.accept(), null);
    const late = new Socket("late");
    queue.push(late);
    assert.equal(late.closes, 1, "a socket pushed after close() is closed");
    const lateShake = new Socket("late handshake");
    queue.startHandshake(lateShake);
    assert.equal(lateShake.closes, 1);
    queue.fail(new Error("ignored"));
    assert.equal(await queue.accept(), null);

    const waiting = new AcceptQueue<Socket>();
    const accepted = waiting.accept();
    waiting.close();
    assert.equal(await accepted, null);
    assert.equal(waiting.waited, false);
  });

  test("a handshake ended in time is not timed out, and ends once", () => {
    const queue = new AcceptQueue<Socket>(60_000);
    const socket = new Socket("s");
    assert.equal(queue.endHandshake(socket), false, "never started");
    queue.startHandshake(socket);
    assert.equal(queue.endHandshake(socket), true);
    assert.equal(queue.endHandshake(socket), false);
    queue.close();
    assert.equal(socket.closes, 0, "no longer the queue's to close");
  });

  test("a handshake past its timeout closes the socket and reports ETIMEDOUT", async () => {
    const queue = new AcceptQueue<Socket>(5);
    const socket = new Socket("slow");
    queue.startHandshake(socket);
    await assert.rejects(queue.accept(), (error: Error) => {
      assert.ok(error instanceof ConnectionError);
      assert.equal(error.code, "ETIMEDOUT");
      assert.equal(
        error.message,
        "Cannot complete the TLS handshake: ETIMEDOUT: none within 5 ms",
      );
      return true;
    });
    assert.equal(socket.closes, 1);
    assert.equal(queue.endHandshake(socket), false);
  });
});
