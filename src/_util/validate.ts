// Copyright 2026 the iox authors. MIT license.
// Argument checks shared by the public classes, so that every message has the
// form "Cannot <action> as <what> must be <rule>: current value is <value>".

const MAX_SHOWN = 60;

/**
 * The options argument of a call: `{}` for `undefined` or `null` (as Web IDL
 * reads a dictionary); anything else that is not an object is a TypeError
 * naming it.
 *
 * @param options The argument.
 * @param action What the call does, for the message ("create executor").
 * @returns The options object.
 */
export function optionsObject<T extends object>(
  options: T | undefined,
  action: string,
): T {
  if (options === undefined || options === null) return {} as T;
  if (typeof options !== "object") {
    throw argumentError(`Cannot ${action} as 'options'`, "an object", options);
  }
  return options;
}

/**
 * What a thrown value says, to quote in another error's message: an
 * `Error`'s message, or anything else as a string.
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Renders a value for an error message: strings quoted, objects as JSON,
 * anything long cut short so a message stays one readable line.
 */
export function formatValue(value: unknown): string {
  const text = render(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}

function render(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") {
    return `function ${value.name || "(anonymous)"}`;
  }
  if (typeof value === "object" && value !== null) {
    // A plain object or an array as JSON; anything else by its kind, which
    // JSON would hide ("{}" for a Map, an ArrayBuffer, a class instance).
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null && !Array.isArray(value)) {
      return Object.prototype.toString.call(value);
    }
    try {
      return JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

/**
 * The error for an argument that should be a function. Callers test
 * `typeof value !== "function"` inline and call this only to throw: a shared
 * assert function was measured not to be inlined into `post`, costing ~40%
 * of its time on Deno.
 *
 * @param what The start of the message, e.g. "Cannot post handler as it".
 * @param value The argument.
 */
export function notAFunction(what: string, value: unknown): TypeError {
  return argumentError(what, "a function", value);
}

/**
 * The error for an argument that should be an `AbortSignal`. Callers test
 * `value !== undefined && !(value instanceof AbortSignal)` inline and call
 * this only to throw, so that a message is built only when one is thrown.
 *
 * @param what The start of the message, e.g. "Cannot watch as 'signal'".
 * @param value The argument.
 */
export function notAnAbortSignal(what: string, value: unknown): TypeError {
  return argumentError(what, "an AbortSignal", value);
}

/**
 * The error for an argument that breaks a rule: "<what> must be <rule>:
 * current value is <value>". Callers test inline and call this only to
 * throw.
 *
 * @param what The start of the message, e.g. "Cannot open listener as
 * 'hostname'".
 * @param rule What the value must be, e.g. "a host name or an IP address".
 * @param value The argument.
 * @param type `TypeError` (the default) or `RangeError`.
 */
export function argumentError(
  what: string,
  rule: string,
  value: unknown,
  type: typeof TypeError | typeof RangeError = TypeError,
): TypeError | RangeError {
  return new type(
    `${what} must be ${rule}: current value is ${formatValue(value)}`,
  );
}

/**
 * Throws a `TypeError` unless `value` is a number, and a `RangeError` unless
 * it is finite and, when `min` is given, at least `min`.
 *
 * @param value The argument to check.
 * @param what The start of the message, e.g. "Cannot run executor as 'ms'".
 * @param min The smallest value allowed, if any.
 */
export function assertFiniteNumber(
  value: unknown,
  what: string,
  min?: number,
): asserts value is number {
  const rule = min === undefined
    ? "a finite number"
    : `a finite number >= ${min}`;
  if (typeof value !== "number") throw argumentError(what, rule, value);
  if (!Number.isFinite(value) || (min !== undefined && value < min)) {
    throw argumentError(what, rule, value, RangeError);
  }
}

/** True for objects and functions with a callable `then`. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return ((typeof value === "object" && value !== null) ||
    typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * The error for an argument that should be a string. Callers test
 * `typeof value !== "string"` inline and call this only to throw.
 *
 * @param what The start of the message, e.g. "Cannot run task as 'name'".
 * @param value The argument.
 */
export function notAString(what: string, value: unknown): TypeError {
  return argumentError(what, "a string", value);
}

/**
 * The error for an argument that should be an array. Callers test
 * `!Array.isArray(value)` inline and call this only to throw.
 *
 * @param what The start of the message, e.g. "Cannot run task as 'args'".
 * @param value The argument.
 */
export function notAnArray(what: string, value: unknown): TypeError {
  return argumentError(what, "an array", value);
}

/**
 * Throws a `TypeError` unless `value` is iterable.
 *
 * @param value The argument to check.
 * @param what The start of the message, e.g. "Cannot map task as 'argsList'".
 */
export function assertIterable(
  value: unknown,
  what: string,
): asserts value is Iterable<unknown> {
  if (
    value === null || value === undefined ||
    typeof (value as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw argumentError(what, "iterable", value);
  }
}

/**
 * Throws a `TypeError` unless `value` is a number, and a `RangeError` unless
 * it is an integer in `min..max` (or `Infinity`, when `orInfinity`).
 *
 * @param value The argument to check.
 * @param what The start of the message, e.g. "Cannot create pool as 'threads'".
 * @param min The smallest value allowed.
 * @param max The largest value allowed.
 * @param orInfinity Whether `Infinity` is allowed too.
 */
export function assertInteger(
  value: unknown,
  what: string,
  min: number,
  max = Infinity,
  orInfinity = false,
): asserts value is number {
  if (
    typeof value === "number" &&
    ((orInfinity && value === Infinity) ||
      (Number.isInteger(value) && value >= min && value <= max))
  ) return;
  const range = max !== Infinity
    ? `an integer in ${min}..${max}`
    : min === 1
    ? "a positive integer"
    : min === 0
    ? "a non-negative integer"
    : `an integer >= ${min}`;
  throw argumentError(
    what,
    orInfinity ? `${range} or Infinity` : range,
    value,
    typeof value === "number" ? RangeError : TypeError,
  );
}

/**
 * Throws a `TypeError` unless `value` is a number, and a `RangeError` unless
 * it is a positive (or, with `allowZero`, non-negative) number of
 * milliseconds; `Infinity` is allowed and means "never".
 *
 * @param value The argument to check.
 * @param what The start of the message, e.g. "Cannot run task as 'timeoutMs'".
 * @param allowZero Whether 0 is allowed.
 */
export function assertMs(
  value: unknown,
  what: string,
  allowZero: boolean,
): asserts value is number {
  if (
    typeof value === "number" && (value > 0 || (allowZero && value === 0))
  ) return;
  throw argumentError(
    what,
    `a ${allowZero ? "non-negative" : "positive"} number of milliseconds`,
    value,
    typeof value === "number" ? RangeError : TypeError,
  );
}
