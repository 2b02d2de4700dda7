// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type IdleMember, SLICES, watchIdle } from "../../src/net/_idle.ts";

function member(): IdleMember & { expired: Promise<number> } {
  const { promise, resolve } = Promise.withResolvers<number>();
  return {
    active: false,
    expire: () => resolve(performance.now()),
    expired: promise,
  };
}

describe("watchIdle", () => {
  test("expires a member left idle for the timeout, not before", async () => {
    const idle = member();
    const start = performance.now();
    watchIdle(40, idle);
    const at = await idle.expired;
    assert.ok(at - start >= 40 - 1, `expired after ${at - start} ms`);
  });

  test("an activity mark restarts the count; stop() ends the watch", async () => {
    const busy = member();
    const stop = watchIdle(40, busy);
    const other = member();
    watchIdle(40, other);
    // Marks at intervals well under the timeout keep it alive until the
    // other member, watched from the same time, has expired.
    let expired = false;
    busy.expired.then(() => expired = true);
    const keep = setInterval(() => busy.active = true, 40 / SLICES);
    await other.expired;
    clearInterval(keep);
    assert.equal(expired, false);
    stop();
    stop();
    // Stopped: it never expires (the sweep's timer is gone, or the test
    // would leak it).
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(expired, false);
  });

  test("a timeout beyond setTimeout's range does not expire early", async () => {
    // Swept every ms / SLICES, a 2^40 ms timeout would ask setInterval for a
    // delay it cannot hold, which fires at once: the member would expire
    // after SLICES such sweeps, well before the short one below.
    const long = member();
    let longExpired = false;
    void long.expired.then(() => longExpired = true);
    const stopLong = watchIdle(2 ** 40, long);
    const short = member();
    watchIdle(40, short);
    await short.expired;
    assert.equal(longExpired, false);
    stopLong();
  });
});
