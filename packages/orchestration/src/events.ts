import { EventEmitter } from "node:events";
import type { HiveEvent, HiveEventOf, HiveEventType } from "@hive/models";

/**
 * In-process, typed event bus. Events are published after the transaction that caused them
 * commits (never for a rolled-back change). Listeners run synchronously; a listener that throws,
 * or an async one whose promise rejects, is reported to the `onListenerError` handlers and
 * disturbs neither the publisher (the committed operation resolves) nor the other listeners.
 */
export class EventBus {
  private readonly emitter = new EventEmitter({ captureRejections: false });
  private readonly errorListeners = new Set<(err: unknown, event: HiveEvent) => void>();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /**
   * Subscribe to one event type, or "*" for all. Returns the unsubscribe function. An async
   * listener is not awaited; its rejection goes to the `onListenerError` handlers.
   */
  on<T extends HiveEventType>(type: T, listener: (event: HiveEventOf<T>) => void): () => void;
  on(type: "*", listener: (event: HiveEvent) => void): () => void;
  on(type: string, listener: (event: never) => void): () => void {
    const l = listener as (...args: unknown[]) => void;
    this.emitter.on(type, l);
    return () => this.emitter.off(type, l);
  }

  /**
   * Wait for the next event of this type (optionally matching a predicate). Rejects with the
   * signal's reason when it aborts, at once when it is already aborted (an abort event never
   * comes for that one: the wait hung for ever).
   */
  once<T extends HiveEventType>(
    type: T,
    predicate: (event: HiveEventOf<T>) => boolean = () => true,
    signal?: AbortSignal,
  ): Promise<HiveEventOf<T>> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        off();
        reject(signal!.reason);
      };
      const off = this.on(type, (e) => {
        if (!predicate(e)) return;
        off();
        // A long-lived signal would otherwise keep one listener per event waited for.
        signal?.removeEventListener("abort", onAbort);
        resolve(e);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Called with what a listener threw (or its promise rejected with) and the event it was given.
   * A handler that throws itself is reported with console.error, the last resort: publishing
   * after a commit must never fail the operation that committed. Returns the unsubscribe function.
   */
  onListenerError(listener: (err: unknown, event: HiveEvent) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  publish(events: readonly HiveEvent[]): void {
    // Most events of a busy worker (claimed, completed) have no listener: no array is copied for them.
    const any = this.emitter.listenerCount("*") > 0;
    for (const event of events) {
      if (this.emitter.listenerCount(event.type) > 0) this.deliver(event.type, event);
      if (any) this.deliver("*", event);
    }
  }

  private deliver(channel: string, event: HiveEvent): void {
    for (const l of this.emitter.listeners(channel)) {
      try {
        const r = (l as (e: HiveEvent) => unknown)(event);
        if (isThenable(r)) r.then(undefined, (err: unknown) => this.reportListenerError(err, event));
      } catch (err) {
        this.reportListenerError(err, event);
      }
    }
  }

  private reportListenerError(err: unknown, event: HiveEvent): void {
    for (const el of this.errorListeners) {
      try {
        const r = el(err, event) as unknown;
        if (isThenable(r)) r.then(undefined, (e: unknown) => handlerFailed(e, err, event));
      } catch (e) {
        handlerFailed(e, err, event);
      }
    }
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | null)?.then === "function";
}

function handlerFailed(handlerError: unknown, listenerError: unknown, event: HiveEvent): void {
  console.error(
    `hive: an onListenerError handler threw while reporting a listener's error for ${event.type}`,
    { handlerError, listenerError },
  );
}
