import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { sleep } from "./sleep.ts";

describe("sleep", () => {
  it("resolves false after the delay and leaves no listener on the signal", async () => {
    const c = new AbortController();
    for (let i = 0; i < 50; i++) expect(await sleep(1, c.signal)).toBe(false);
    // The daemon sleeps on one long-lived signal for every poll: listeners must not pile up.
    expect(getEventListeners(c.signal, "abort")).toHaveLength(0);
  });

  it("resolves true as soon as the signal aborts, or at once if it already has", async () => {
    const c = new AbortController();
    const pending = sleep(600_000, c.signal);
    c.abort();
    expect(await pending).toBe(true);
    expect(await sleep(600_000, c.signal)).toBe(true);
  });
});
