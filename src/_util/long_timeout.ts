// Copyright 2026 the iox authors. MIT license.
// Runtimes keep a setTimeout delay in a signed 32-bit count of milliseconds:
// a longer one fires at once. These let a delay be as long as asked.

/** setTimeout's largest delay (about 24.8 days); a longer one fires at once. */
export const MAX_TIMEOUT_MS = 0x7fffffff;

/**
 * A runtime timer for any delay: one `setTimeout` at a time, re-armed for
 * what is left of a delay beyond setTimeout's range.
 */
export class LongTimeout {
  #timer!: ReturnType<typeof setTimeout>;

  /**
   * Arms the timer.
   *
   * @param callback Called once the delay has passed.
   * @param ms The delay in milliseconds, however large.
   */
  constructor(callback: () => void, ms: number) {
    const due = performance.now() + ms;
    const arm = (): void => {
      const left = due - performance.now();
      this.#timer = left > MAX_TIMEOUT_MS
        ? setTimeout(arm, MAX_TIMEOUT_MS)
        : setTimeout(callback, Math.max(0, left));
    };
    arm();
  }

  /** Disarms the timer: the callback will not be called. */
  clear(): void {
    clearTimeout(this.#timer);
  }
}
