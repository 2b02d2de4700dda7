// Copyright 2026 the iox authors. MIT license.
// The README's Task examples, run as a user would run them.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { join } from "node:path";
import { connectMany } from "../examples/connect_many.ts";
import { startEchoServer } from "../examples/echo_server.ts";
import { digest } from "../examples/hash_worker.ts";
import { hashAll } from "../examples/parallel_hash.ts";
import { NetListener } from "../mod.ts";
import { closed, echo, ipv6Loopback, socketDir } from "./_net.ts";

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

/**
 * Sends SIGINT as Ctrl-C would. Not `child.kill()`: Deno's node:child_process
 * then reports the child as killed by that signal even when it handled it
 * and exited with 0.
 */
function interrupt(child: ChildProcess): void {
  process.kill(child.pid!, "SIGINT");
}

/** A server example running as its README command runs it. */
interface RunningExample extends AsyncDisposable {
  child: ChildProcess;
  /** Resolves with the first line of output (from now) matching `pattern`. */
  line(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

function startExample(
  name: string,
  args: string[],
  denoFlags: string[],
): RunningExample {
  const file = fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
  const child = spawn(
    process.execPath,
    "Bun" in globalThis
      ? [file, ...args]
      : ["run", ...denoFlags, "--no-check", file, ...args],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code))
  );
  let output = "";
  let waiting: { pattern: RegExp; resolve(m: RegExpExecArray): void } | null =
    null;
  let seen = 0;
  const check = () => {
    if (waiting === null) return;
    const lines = output.split("\n");
    for (; seen < lines.length - 1; seen++) {
      const match = waiting.pattern.exec(lines[seen]!);
      if (match) {
        seen++;
        const { resolve } = waiting;
        waiting = null;
        resolve(match);
        return;
      }
    }
  };
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk;
    check();
  });
  return {
    child,
    exited,
    line(pattern) {
      return new Promise((resolve, reject) => {
        waiting = { pattern, resolve };
        exited.then((code) =>
          reject(
            new Error(`${name} exited (${code}) before ${pattern}: ${output}`),
          )
        );
        check();
      });
    },
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** Sends `text` and reads lines until `count` arrived. */
function readLines(socket: ReturnType<typeof connect>, count: number) {
  return new Promise<string[]>((resolve, reject) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk;
      const lines = text.split("\n");
      if (lines.length > count) resolve(lines.slice(0, count));
    });
    socket.once("error", reject);
    socket.once("close", () => resolve(text.split("\n")));
  });
}

describe("examples/graceful_shutdown.ts", () => {
  test("Ctrl-C lets the request in flight finish, then the process exits", async () => {
    await using server = startExample("graceful_shutdown.ts", ["0"], ["-N"]);
    const [, port] = await server.line(/^listening on 127\.0\.0\.1:(\d+)$/);
    const client = connect(Number(port), "127.0.0.1");
    const clientClosed = closed(client);
    const working = readLines(client, 1);
    client.write("slow 2000\n");
    assert.deepEqual(await working, ["working"]);
    client.removeAllListeners("data");
    const rest = readLines(client, 1);
    interrupt(server.child);
    // The request was in flight when the signal came.
    await server.line(/^shutting down: 1 connection\(s\) open$/);
    assert.deepEqual(await rest, ["done: slow 2000"]);
    // New clients are refused meanwhile.
    const late = connect(Number(port), "127.0.0.1");
    const refused = await new Promise<string>((resolve) => {
      late.once(
        "error",
        (error: Error & { code?: string }) => resolve(error.code ?? ""),
      );
      late.once("connect", () => resolve("connected"));
    });
    assert.match(refused, /ECONNREFUSED|ECONNRESET/);
    client.end();
    await server.line(/^stopped$/);
    assert.equal(await server.exited, 0);
    await clientClosed;
  });
});

/** A loopback port that is free now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe("examples/behind_haproxy.ts", () => {
  test("a client through HAProxy is greeted with its own address", async () => {
    const front = await freePort();
    await using server = startExample(
      "behind_haproxy.ts",
      [String(front), "0"],
      ["-A"],
    );
    await server.line(/behind haproxy on 127\.0\.0\.1:\d+$/);
    const client = connect(front, "127.0.0.1");
    await new Promise((resolve) => client.once("connect", resolve));
    const reply = readLines(client, 2);
    client.write("echo me\n");
    assert.deepEqual(await reply, [
      `hello 127.0.0.1:${client.localPort}`,
      "echo me",
    ]);
    client.end();
    await closed(client);
    interrupt(server.child);
    await server.line(/^stopped$/);
    assert.equal(await server.exited, 0);
  });
});

describe("examples/tls_echo_server.ts", () => {
  test("runs with one command, echoes over TLS with ALPN, stops on SIGINT", async () => {
    const file = fileURLToPath(
      new URL("../examples/tls_echo_server.ts", import.meta.url),
    );
    const args = "Bun" in globalThis
      ? [file]
      : ["run", "-A", "--no-check", file];
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "inherit"],
    });
    // Deno's child_process reports the signal sent rather than the exit
    // code of a child that handled it: what it printed says it stopped.
    const exited = new Promise<void>((resolve) =>
      child.once("exit", () => resolve())
    );
    try {
      let output = "";
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk;
          if (output.includes("\n")) resolve(output);
        });
        child.once("exit", () => reject(new Error(`exited: ${output}`)));
      });
      const match =
        /^tls echo server listening on 127\.0\.0\.1:(\d+) \(certificate: (.+)\)$/m
          .exec(line);
      assert.ok(match, line);
      const reply = await new Promise<{ text: string; alpn: unknown }>(
        (resolve, reject) => {
          const socket = tlsConnect({
            host: "127.0.0.1",
            port: Number(match[1]),
            ca: readFileSync(match[2]!, "utf8"),
            servername: "localhost",
            ALPNProtocols: ["echo/1"],
          });
          let text = "";
          let alpn: unknown;
          socket.on("secureConnect", () => {
            alpn = socket.alpnProtocol;
            socket.end("over tls");
          });
          socket.on("data", (chunk: Buffer) => text += chunk);
          socket.on("error", reject);
          socket.on("close", () => resolve({ text, alpn }));
        },
      );
      assert.deepEqual(reply, { text: "over tls", alpn: "echo/1" });
      child.kill("SIGINT");
      await exited;
      assert.match(output, /\ntls echo server stopped\n$/);
    } finally {
      child.kill();
      await exited;
    }
  });
});

describe("examples/echo_all_cores.ts", () => {
  test("serves an echo on every core with one command, and stops on Ctrl-C", {
    timeout: 60_000,
  }, async () => {
    await using server = startExample("echo_all_cores.ts", [], [
      "-A",
      "--unstable-net",
    ]);
    const [, cores, port] = await server.line(
      /^echo server on (\d+) cores listening on 127\.0\.0\.1:(\d+)$/,
    );
    assert.equal(Number(cores), navigator.hardwareConcurrency);
    const addr = {
      transport: "tcp" as const,
      hostname: "127.0.0.1",
      port: Number(port),
    };
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => echo(addr, `hello ${i}`)),
    );
    assert.deepEqual(
      replies.map(String),
      Array.from({ length: 8 }, (_, i) => `hello ${i}`),
    );
    interrupt(server.child);
    await server.line(/^served 8 connections$/);
    assert.equal(await server.exited, 0);
  });
});
