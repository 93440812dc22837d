import { EventEmitter } from "node:events";
import type { HiveEvent, HiveEventOf, HiveEventType } from "@hive/models";

/**
 * In-process, typed event bus. Events are published after the transaction that caused them
 * commits (never for a rolled-back change). Listeners run synchronously; a throwing listener
 * is reported on the "error" channel and does not disturb the publisher.
 */
export class EventBus {
  private readonly emitter = new EventEmitter({ captureRejections: false });
  private readonly errorListeners = new Set<(err: unknown, event: HiveEvent) => void>();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Subscribe to one event type, or "*" for all. Returns the unsubscribe function. */
  on<T extends HiveEventType>(type: T, listener: (event: HiveEventOf<T>) => void): () => void;
  on(type: "*", listener: (event: HiveEvent) => void): () => void;
  on(type: string, listener: (event: never) => void): () => void {
    const l = listener as (...args: unknown[]) => void;
    this.emitter.on(type, l);
    return () => this.emitter.off(type, l);
  }

  /** Wait for the next event of this type (optionally matching a predicate). */
  once<T extends HiveEventType>(
    type: T,
    predicate: (event: HiveEventOf<T>) => boolean = () => true,
    signal?: AbortSignal,
  ): Promise<HiveEventOf<T>> {
    return new Promise((resolve, reject) => {
      const off = this.on(type, (e) => {
        if (!predicate(e)) return;
        off();
        resolve(e);
      });
      signal?.addEventListener("abort", () => {
        off();
        reject(signal.reason);
      });
    });
  }

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
        (l as (e: HiveEvent) => void)(event);
      } catch (err) {
        for (const el of this.errorListeners) el(err, event);
      }
    }
  }
}
