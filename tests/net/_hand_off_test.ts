// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HandOff } from "../../src/net/_hand_off.ts";
import { Connection, NetListener } from "../../src/listener.ts";

function conn(): Connection {
  const addr = { transport: "tcp", hostname: "127.0.0.1", port: 1 } as const;
  return new Connection({
    localAddr: addr,
    remoteAddr: addr,
    read: () => Promise.resolve(null),
    write: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    close: () => {},
  });
}

function handOff() {
  const listener = new NetListener();
  const errors: unknown[] = [];
  let wanted = 0;
  const hand = new HandOff(
    listener,
    (error) => errors.push(error),
    () => wanted++,
  );
  return { hand, listener, errors, wanted: () => wanted };
}

describe("HandOff", () => {
  test("waiters first, in order; then the handler; else a queue", async () => {
    const { hand, listener, wanted } = handOff();
    assert.equal(hand.wanted, false);
    const [a, b, c, d] = [conn(), conn(), conn(), conn()];
    const first = hand.take(undefined, true);
    const second = hand.take(undefined, true);
    assert.equal(wanted(), 2);
    assert.equal(hand.wanted, true);
    const handled: [Connection, NetListener][] = [];
    hand.setHandler(
      (x, from) => void handled.push([x, from]),
      undefined,
      undefined,
    );
    hand.handOut(a);
    hand.handOut(b);
    hand.handOut(c);
    assert.equal(await first, a);
    assert.equal(await second, b);
    assert.deepEqual(handled, [[c, listener]]);
    hand.setHandler(null, undefined, undefined);
    assert.equal(hand.wanted, false);
    hand.handOut(d);
    // Queued: taken at once by the next waiter, even when not listening.
    assert.equal(await hand.take(undefined, false), d);
    assert.equal(await hand.take(undefined, false), null);
  });

  test("a new handler gets the queued connections in order", () => {
    const { hand } = handOff();
    const queued = [conn(), conn()];
    for (const c of queued) hand.handOut(c);
    const got: Connection[] = [];
    let disposed = 0;
    hand.setHandler((c) => void got.push(c), undefined, () => disposed++);
    assert.deepEqual(got, queued);
    hand.setHandler(null, undefined, undefined);
    assert.equal(disposed, 1);
  });

  test("an aborted waiter gives up its turn; endWaiters ends the rest", async () => {
    const { hand } = handOff();
    const stop = new AbortController();
    const aborted = hand.take(stop.signal, true);
    const ended = hand.take(undefined, true);
    stop.abort(new Error("stop"));
    await assert.rejects(aborted, /stop/);
    hand.endWaiters();
    assert.equal(await ended, null);
    assert.equal(hand.wanted, false);
  });

  test("a handler that throws or rejects closes its connection and counts", async () => {
    const { hand, errors } = handOff();
    let closes = 0;
    const counted = () => {
      const addr = { transport: "unix", path: "" } as const;
      return new Connection({
        localAddr: addr,
        remoteAddr: addr,
        read: () => new Promise(() => {}),
        write: () => Promise.resolve(),
        closeWrite: () => Promise.resolve(),
        close: () => void closes++,
      });
    };
    hand.setHandler(
      () => {
        throw new Error("sync");
      },
      undefined,
      undefined,
    );
    hand.handOut(counted());
    hand.setHandler(
      () => Promise.reject(new Error("async")),
      undefined,
      undefined,
    );
    hand.handOut(counted());
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(errors.map((e) => (e as Error).message), [
      "sync",
      "async",
    ]);
    assert.equal(hand.errors, 2);
    assert.equal(closes, 2);
  });

  test("iterate yields what is handed out; return() ends a waiting next()", async () => {
    const { hand } = handOff();
    let listening = true;
    const iterator = hand.iterate(() => listening);
    const a = conn();
    const first = iterator.next();
    hand.handOut(a);
    assert.deepEqual(await first, { done: false, value: a });
    const waiting = iterator.next();
    await iterator.return!();
    assert.deepEqual(await waiting, { done: true, value: undefined });
    // A handed-out connection goes to nobody's ended iteration.
    const b = conn();
    hand.handOut(b);
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    listening = false;
    const other = hand.iterate(() => listening);
    assert.deepEqual(await other.next(), { done: false, value: b });
    assert.deepEqual(await other.next(), { done: true, value: undefined });
  });

  test("closeQueued closes the connections nobody took", () => {
    const { hand } = handOff();
    let closes = 0;
    const addr = { transport: "unix", path: "" } as const;
    const c = new Connection({
      localAddr: addr,
      remoteAddr: addr,
      read: () => Promise.resolve(null),
      write: () => Promise.resolve(),
      closeWrite: () => Promise.resolve(),
      close: () => void closes++,
    });
    hand.handOut(c);
    hand.closeQueued();
    assert.equal(closes, 1);
  });
});
