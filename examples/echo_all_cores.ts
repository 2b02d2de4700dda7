// Copyright 2026 the iox authors. MIT license.
/**
 * An echo server on every core: a ListenerPool runs examples/echo_handler.ts
 * in one worker per core, all listening on the same port.
 *
 * Run it: `deno run -A --unstable-net examples/echo_all_cores.ts [port]` or
 * `bun examples/echo_all_cores.ts [port]`; it prints its address and stops
 * on Ctrl-C, letting open connections finish for up to 5 s. Try it with
 * `nc 127.0.0.1 <port>`.
 *
 * @module
 */
import process from "node:process";
import { ListenerPool } from "../src/listener.ts";

const [port = "0"] = process.argv.slice(2);
const pool = new ListenerPool(new URL("./echo_handler.ts", import.meta.url), {
  name: "echo",
});
const [addr] = await pool.open({ hostname: "127.0.0.1", port: Number(port) });
if (addr?.transport === "tcp") {
  console.log(
    `echo server on ${navigator.hardwareConcurrency} cores listening on ${addr.hostname}:${addr.port}`,
  );
}
process.once("SIGINT", async () => {
  await pool.shutdown({ timeoutMs: 5000 });
  console.log(`served ${pool.stats.accepted} connections`);
});
