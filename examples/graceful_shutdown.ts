// Copyright 2026 the iox authors. MIT license.
/**
 * A server that shuts down gracefully on Ctrl-C (SIGINT): it stops
 * accepting at once, lets the requests in flight finish, and closes what is
 * still open after 10 seconds; a second Ctrl-C closes it at once.
 *
 * Each request is a line; the reply comes after a pause (a request that
 * takes time): `slow <ms>` waits that long, anything else 1 ms. The server
 * answers `working` when a request arrives and `done: <request>` when it
 * completes.
 *
 * Run it: `deno run -N examples/graceful_shutdown.ts [port]` or
 * `bun examples/graceful_shutdown.ts [port]`, then
 * `echo "slow 3000" | nc 127.0.0.1 <port>` and Ctrl-C the server meanwhile.
 *
 * @module
 */
import process from "node:process";
import { type Connection, NetListener } from "../src/listener.ts";

const encoder = new TextEncoder();

/** Answers each line of the client: `working` at once, `done` after its pause. */
async function serve(conn: Connection): Promise<void> {
  const writer = conn.writable.getWriter();
  const lines = conn.readable.pipeThrough(new TextDecoderStream());
  let buffered = "";
  for await (const text of lines) {
    buffered += text;
    let end;
    while ((end = buffered.indexOf("\n")) >= 0) {
      const request = buffered.slice(0, end).trim();
      buffered = buffered.slice(end + 1);
      await writer.write(encoder.encode("working\n"));
      const ms = /^slow (\d+)$/.exec(request)?.[1];
      await new Promise((resolve) => setTimeout(resolve, Number(ms ?? 1)));
      await writer.write(encoder.encode(`done: ${request}\n`));
    }
  }
  await writer.close();
}

/** Calls `handler` on every SIGINT until the returned function is called. */
function onSigint(handler: () => void): () => void {
  // Each runtime's own way: Deno's signal API, Node's process events in Bun.
  if ("Deno" in globalThis) {
    Deno.addSignalListener("SIGINT", handler);
    return () => Deno.removeSignalListener("SIGINT", handler);
  }
  process.on("SIGINT", handler);
  return () => void process.off("SIGINT", handler);
}

if (import.meta.main) {
  const listener = new NetListener({ name: "graceful" });
  const [addr] = await listener.open(`127.0.0.1:${process.argv[2] ?? 0}`);
  if (addr?.transport !== "tcp") throw new Error("a TCP address was expected");
  listener.setClientHandler(serve);
  console.log(`listening on 127.0.0.1:${addr.port}`);
  let signals = 0;
  const stop = onSigint(() => {
    if (++signals === 1) {
      console.log(
        `shutting down: ${listener.stats.active} connection(s) open`,
      );
      listener.shutdown({ timeoutMs: 10_000 }).then(() => {
        stop();
        console.log("stopped");
      });
    } else {
      // Impatient: close the rest now.
      void listener.shutdown({ timeoutMs: 0 });
    }
  });
}
