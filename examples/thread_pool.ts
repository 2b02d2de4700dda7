// Copyright 2026 the iox authors. MIT license.
// Squares numbers in worker threads: `deno run -A examples/thread_pool.ts`
// or `bun examples/thread_pool.ts`.
import { ThreadPool } from "../src/thread_pool.ts";

await using pool = new ThreadPool(
  new URL("./thread_pool_tasks.ts", import.meta.url),
  { threads: 2 },
);
const squares = await pool.map<number>("square", [[1], [2], [3], [4]]);
console.log(squares, pool.stats);
