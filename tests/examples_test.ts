// Copyright 2026 the iox authors. MIT license.
// The README's Task examples, run as a user would run them.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { join } from "node:path";
import { connectMany } from "../examples/connect_many.ts";
import { startEchoServer } from "../examples/echo_server.ts";
import { digest } from "../examples/hash_worker.ts";
import { hashAll } from "../examples/parallel_hash.ts";
import { NetListener } from "../mod.ts";
import { echo, ipv6Loopback, socketDir } from "./_net.ts";

const ipv6 = await ipv6Loopback();

/** Runs an example as its README command does; resolves with its output. */
function runExample(name: string): Promise<string> {
  const file = fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
  const args = "Bun" in globalThis
    ? [file]
    : ["run", "--allow-read", "--no-check", file];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 60_000 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}

describe("examples/executor.ts", () => {
  test("runs its jobs in order, ticks three times and stops", async () => {
    const lines = (await runExample("executor.ts")).trim().split("\n");
    // The strand keeps each job's start and end together, whatever ticks.
    assert.deepEqual(lines.filter((line) => line.startsWith("job")), [
      "job a: start",
      "job a: end",
      "job b: start",
      "job b: end",
      "job c: start",
      "job c: end",
    ]);
    assert.deepEqual(lines.filter((line) => line.startsWith("tick")), [
      "tick 1",
      "tick 2",
      "tick 3",
    ]);
    assert.match(lines.at(-1)!, /^ran \d+ handlers; stopped: true$/);
  });
});

describe("examples/thread_pool.ts", () => {
  test("prints the squares", async () => {
    assert.match(await runExample("thread_pool.ts"), /\[ 1, 4, 9, 16 \]/);
  });
});

describe("examples/parallel_hash.ts", () => {
  test("the workers' digests equal the same work done on this thread", async () => {
    const { digests } = await hashAll(3, 1, 2);
    assert.deepEqual(digests, [digest(1, 1), digest(2, 1), digest(3, 1)]);
    assert.equal(new Set(digests).size, 3);
  });
});

describe("examples/connect_many.ts", () => {
  test("every server answers; a refused target reports its error", async () => {
    const { dir, remove } = socketDir();
    try {
      await using server = await startEchoServer({
        path: join(dir, "many.sock"),
        ipv6,
        log: () => {},
      });
      const probe = new NetListener();
      const [refusing] = await probe.open("127.0.0.1:0");
      await probe.disconnect();
      const outcomes = await connectMany([...server.addrs, refusing!]);
      assert.equal(outcomes.length, server.addrs.length + 1);
      for (const outcome of outcomes.slice(0, -1)) {
        assert.equal(outcome.reply, `hello ${outcome.target}`);
        assert.equal(outcome.error, undefined);
      }
      assert.equal(outcomes.at(-1)!.reply, undefined);
      assert.match(outcomes.at(-1)!.error!, /ECONNREFUSED/);
    } finally {
      remove();
    }
  });
});

describe("examples/echo_all_cores.ts", () => {
  test("serves an echo on every core with one command, and stops on SIGINT", {
    timeout: 60_000,
  }, async () => {
    const file = fileURLToPath(
      new URL("../examples/echo_all_cores.ts", import.meta.url),
    );
    const args = "Bun" in globalThis
      ? [file]
      : ["run", "-A", "--unstable-net", "--no-check", file];
    const child = spawn(process.execPath, args, { timeout: 60_000 });
    let output = "";
    child.stdout.setEncoding("utf8");
    const exited = new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
    });
    const listening = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: string) => {
        output += chunk;
        if (output.includes("\n")) resolve(output);
      });
      child.once("exit", () => reject(new Error(`exited: ${output}`)));
    });
    const match =
      /^echo server on (\d+) cores listening on 127\.0\.0\.1:(\d+)\n/
        .exec(listening);
    assert.ok(match, listening);
    assert.equal(Number(match[1]), navigator.hardwareConcurrency);
    const addr = {
      transport: "tcp" as const,
      hostname: "127.0.0.1",
      port: Number(match[2]),
    };
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => echo(addr, `hello ${i}`)),
    );
    assert.deepEqual(
      replies.map(String),
      Array.from({ length: 8 }, (_, i) => `hello ${i}`),
    );
    child.kill("SIGINT");
    // The exit code is not compared: Deno's node:child_process reports a
    // child that was sent a signal as killed by it, even one that handled
    // it and exited with 0. The last line is the handler's.
    await exited;
    assert.match(output, /served 8 connections\n$/);
  });
});
