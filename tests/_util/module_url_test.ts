// Copyright 2026 the iox authors. MIT license.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { resolveModule } from "../../src/_util/module_url.ts";

describe("resolveModule", () => {
  test("a URL is copied; a URL string, an absolute or a relative path become URLs", () => {
    const url = new URL("file:///srv/tasks.ts");
    const copy = resolveModule(url, "go");
    assert.notEqual(copy, url);
    assert.equal(copy.href, url.href);
    assert.equal(
      resolveModule("data:text/javascript,export default 1", "go").protocol,
      "data:",
    );
    assert.equal(
      resolveModule("/srv/my tasks.ts", "go").href,
      "file:///srv/my%20tasks.ts",
    );
    assert.equal(
      resolveModule("lib/tasks.ts", "go").href,
      new URL("lib/tasks.ts", pathToFileURL(process.cwd()).href + "/").href,
    );
  });

  test("anything else is a TypeError naming the action", () => {
    for (const value of [42, "", "  ", null, "http://[bad"]) {
      assert.throws(() => resolveModule(value, "create thing"), {
        name: "TypeError",
        message: new RegExp(
          "^Cannot create thing as 'module' must be a URL, an absolute path or a path relative to the working directory: current value is ",
        ),
      });
    }
  });
});
