/**
 * Events the service pushes to the UI (token inserted, queue changed, batch progress …). Each
 * gets a sequence number; a short history lets a reconnecting browser catch up (SSE Last-Event-ID).
 */
import type { UiEvent, UiEventBody } from '../../src-shared/api/ui-types.js';

export type EventListener = (e: UiEvent) => void;

export class EventHub {
  private seq = 0;
  private readonly history: UiEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly keep = 200) {}

  emit(body: UiEventBody): UiEvent {
    const e = { ...body, seq: ++this.seq, at: new Date().toISOString() } as UiEvent;
    this.history.push(e);
    if (this.history.length > this.keep) this.history.shift();
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A broken listener (a closed connection) must not stop the others.
      }
    }
    return e;
  }

  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Events after `seq` still in the history. */
  since(seq: number): UiEvent[] {
    return this.history.filter((e) => e.seq > seq);
  }

  get lastSeq(): number {
    return this.seq;
  }
}
