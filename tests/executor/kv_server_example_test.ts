// Copyright 2026 the iox authors. MIT license.
// examples/kv_server.ts: an executor for a server's lifetime, a strand and
// submit() per connection.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startKvServer } from "../../examples/kv_server.ts";
import { closed, connected, connectTo, echo } from "../_net.ts";

describe("examples/kv_server.ts", () => {
  test("replies in order; a command's error goes to its sender only", async () => {
    const errors: unknown[] = [];
    await using server = await startKvServer({
      onError: (error) => errors.push(error),
    });
    const replies = await echo(
      server.addr,
      "SET a 1\nGET a\nINCR a\nSLEEP 1\nSET a\nBOGUS\nINCR a\nGET b\nQUIT\n",
    );
    assert.deepEqual(replies.toString().split("\n"), [
      "+OK",
      "+1",
      "+2",
      "+OK",
      "-ERR SET takes a key and a value",
      "-ERR unknown command 'BOGUS'",
      "+3",
      "+(nil)",
      "",
    ]);
    assert.deepEqual(errors, []);
    assert.equal(server.executor.stopped, false); // serving on
  });

  test("a dead connection's queued commands are dropped, never run", async () => {
    const errors: unknown[] = [];
    await using server = await startKvServer({
      onError: (error) => errors.push(error),
    });
    // The SLEEP holds the connection's strand; the INCRs queue behind it.
    // The client's end of input, without QUIT, ends the connection with
    // them queued.
    const count = 1000;
    const { data } = await new Promise<{ data: string }>((resolve) => {
      const socket = connectTo(server.addr);
      let data = "";
      socket.on("data", (chunk: Buffer) => data += chunk.toString());
      socket.on("close", () => resolve({ data }));
      socket.end("SLEEP 600000\n" + "INCR n\n".repeat(count));
    });
    assert.equal(data, ""); // nothing ran to reply
    assert.deepEqual(server.stats, { commands: count + 1, executed: 1 });
    // The server goes on serving; none of the INCRs ever ran.
    assert.equal(
      (await echo(server.addr, "GET n\nQUIT\n")).toString(),
      "+(nil)\n",
    );
    assert.deepEqual(errors, []);
  });

  test("a connection's slow command holds only its own strand", async () => {
    await using server = await startKvServer();
    const slow = connectTo(server.addr);
    await connected(slow);
    const slowClosed = closed(slow);
    let slowReplies = "";
    slow.on("data", (chunk: Buffer) => slowReplies += chunk.toString());
    slow.write("SLEEP 600000\nINCR n\n");
    // Answered while the other connection's SLEEP still holds its strand.
    const fast = await echo(server.addr, "INCR n\nINCR n\nQUIT\n");
    assert.equal(fast.toString(), "+1\n+2\n");
    slow.destroy();
    await slowClosed;
    assert.equal(slowReplies, "");
  });

  test("close() ends the executor's run with the server", async () => {
    const server = await startKvServer();
    const socket = connectTo(server.addr);
    await connected(socket);
    const gone = closed(socket);
    await server.close();
    await gone; // its connection was closed too
    assert.equal(server.executor.stopped, true);
  });
});
