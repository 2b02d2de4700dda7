// Copyright 2026 the iox authors. MIT license.
// Idle timeouts for many connections with one timer per timeout value
// rather than one per connection: re-arming a timer on every read and write
// would cost more than the I/O it guards. A connection marks itself active
// with one store; a sweep every `ms / SLICES` clears the marks and counts,
// per connection, the sweeps in a row that found none. After SLICES such
// sweeps nothing was read or written for at least `ms` (the mark taken by
// the first of them was made before it), and at most `ms + ms / SLICES`.

import { MAX_TIMEOUT_MS } from "../_util/long_timeout.ts";

/** Sweeps per timeout. */
export const SLICES = 4;

/** A connection as the idle sweep sees it. */
export interface IdleMember {
  /** Set by the connection on every read or write; cleared by the sweep. */
  active: boolean;
  /** Called once, when the member was idle for the timeout. */
  expire(): void;
}

class Sweep {
  #ms: number;
  #members = new Map<IdleMember, number>();
  #timer: ReturnType<typeof setInterval>;
  #slices: number;

  constructor(ms: number) {
    this.#ms = ms;
    // An interval beyond setTimeout's range would fire at once: sweep at
    // that limit instead, and count as many sweeps as the timeout spans.
    const every = Math.min(ms / SLICES, MAX_TIMEOUT_MS);
    this.#slices = Math.ceil(ms / every);
    this.#timer = setInterval(() => this.#sweep(), every);
  }

  add(member: IdleMember): void {
    // Counted from now: the first sweep takes this mark.
    member.active = true;
    this.#members.set(member, 0);
  }

  delete(member: IdleMember): void {
    if (!this.#members.delete(member)) return;
    if (this.#members.size === 0) {
      clearInterval(this.#timer);
      sweeps.delete(this.#ms);
    }
  }

  #sweep(): void {
    const expired: IdleMember[] = [];
    for (const [member, idle] of this.#members) {
      if (member.active) {
        member.active = false;
        this.#members.set(member, 0);
      } else if (idle + 1 >= this.#slices) {
        expired.push(member);
      } else {
        this.#members.set(member, idle + 1);
      }
    }
    for (const member of expired) {
      this.delete(member);
      member.expire();
    }
  }
}

const sweeps = new Map<number, Sweep>();

/**
 * Calls `member.expire()` once `member` has not been marked active for
 * `ms` milliseconds (see above for the precision).
 *
 * @param ms The timeout, > 0.
 * @param member The connection.
 * @returns A function that stops watching it (idempotent).
 */
export function watchIdle(ms: number, member: IdleMember): () => void {
  let sweep = sweeps.get(ms);
  if (sweep === undefined) sweeps.set(ms, sweep = new Sweep(ms));
  sweep.add(member);
  const owner = sweep;
  return () => owner.delete(member);
}
