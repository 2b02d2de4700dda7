#!/usr/bin/env bash
# The one entry point for the project's commands, so that `deno task`,
# `npm run` and `.ci/run` all run the same steps with the same binaries.
#
# Why a script: `deno task` resolves `deno` and `bun` to the npm packages'
# binaries in node_modules/.bin and then tries to run them as JavaScript.
# Here they are found on PATH like in any shell.
#
# Usage: tools/dev.sh ok|test|test:deno|test:bun|bench|bench:bun|bench:report
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export NO_COLOR=1

if ! command -v deno >/dev/null || ! command -v bun >/dev/null; then
  echo "== installing deno and bun from npm (package.json)"
  npm install --no-audit --no-fund
fi

step() {
  echo "== $*"
  "$@"
}

entry_points() {
  deno eval 'const c = JSON.parse(Deno.readTextFileSync("deno.json"));
console.log(Object.values(c.exports).join("\n"));'
}

log_dir="$(mktemp -d)"
trap 'rm -rf "$log_dir"' EXIT

# Types are checked once by the `deno check` steps of `ok`; the tests run
# with --no-check because Deno type-checks every TypeScript worker it spawns
# again when node_modules/@types/node is present (about a second per spawn).
test_deno() {
  echo "== deno test -A --doc --no-check --trace-leaks"
  deno test -A --doc --no-check --trace-leaks 2>&1 | tee "$log_dir/deno.log"
  local status=${PIPESTATUS[0]}
  sed -nE 's/^(ok|FAILED) \| ([0-9]+) passed.*\| ([0-9]+) failed.*/deno: \2 passed, \3 failed/p' \
    "$log_dir/deno.log"
  return "$status"
}

test_bun() {
  echo "== bun test tests/"
  bun test tests/ 2>&1 | tee "$log_dir/bun.log"
  local status=${PIPESTATUS[0]}
  local passed failed
  passed=$(sed -nE 's/^ *([0-9]+) pass$/\1/p' "$log_dir/bun.log" | tail -1)
  failed=$(sed -nE 's/^ *([0-9]+) fail$/\1/p' "$log_dir/bun.log" | tail -1)
  echo "bun: ${passed:-0} passed, ${failed:-0} failed"
  return "$status"
}

case "${1:-ok}" in
  ok)
    step deno fmt --check
    step deno lint
    step deno check --doc
    step deno check --doc-only README.md docs/
    mapfile -t entries < <(entry_points)
    step deno doc --lint "${entries[@]}"
    test_deno
    test_bun
    step deno publish --dry-run --allow-dirty
    ;;
  test)
    test_deno
    test_bun
    ;;
  test:deno) test_deno ;;
  test:bun) test_bun ;;
  bench) step deno bench -A bench/ ;;
  bench:bun) step bun tools/bench_bun.ts ;;
  bench:report) step deno run -A tools/bench_report.ts "${@:2}" ;;
  *)
    echo "usage: tools/dev.sh ok|test|test:deno|test:bun|bench|bench:bun|bench:report" >&2
    exit 2
    ;;
esac
