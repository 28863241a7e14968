/**
 * Notices tokens being inserted and removed. C_WaitForSlotEvent blocks the calling thread in
 * pkcs11js (and many drivers ignore CKF_DONT_BLOCK), so instead the slot list with token
 * serials is polled on a timer: each poll is a few non-blocking calls, and a change is seen
 * within one interval (default 1 s, within the 2 s the product promises).
 */
import { EventEmitter } from 'node:events';
import type { LoadedModule } from './pkcs11-module.js';

export interface TokenPresence {
  modulePath: string;
  slotId: string;
  serialNumber: string;
  label: string;
}

export interface HotplugEvents {
  inserted: [TokenPresence];
  removed: [TokenPresence];
  error: [unknown];
}

export class TokenWatcher extends EventEmitter<HotplugEvents> {
  private timer: NodeJS.Timeout | null = null;
  private known = new Map<string, TokenPresence>();

  constructor(
    private readonly modules: () => LoadedModule[],
    private readonly intervalMs = 1000,
  ) {
    super();
  }

  /** Current tokens; the first call primes the state without emitting. */
  snapshot(): TokenPresence[] {
    return [...this.known.values()];
  }

  start(): this {
    if (this.timer) return this;
    this.known = this.scan();
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One poll; exposed so tests and the UI's "refresh" can force it. */
  poll(): void {
    let now: Map<string, TokenPresence>;
    try {
      now = this.scan();
    } catch (e) {
      this.emit('error', e);
      return;
    }
    for (const [k, v] of this.known) if (!now.has(k)) this.emit('removed', v);
    for (const [k, v] of now) if (!this.known.has(k)) this.emit('inserted', v);
    this.known = now;
  }

  private scan(): Map<string, TokenPresence> {
    const out = new Map<string, TokenPresence>();
    for (const mod of this.modules()) {
      let slots;
      try {
        slots = mod.p11.C_GetSlotList(true);
      } catch {
        continue; // A module in trouble reports no tokens rather than stopping the others.
      }
      for (const slot of slots) {
        try {
          const ti = mod.p11.C_GetTokenInfo(slot);
          const p: TokenPresence = {
            modulePath: mod.path,
            slotId: slot.toString('hex'),
            serialNumber: ti.serialNumber.trim(),
            label: ti.label.trim(),
          };
          // The serial is part of the key: swapping one token for another in the same slot
          // between two polls is a removal and an insertion.
          out.set(`${p.modulePath}|${p.slotId}|${p.serialNumber}`, p);
        } catch {
          // Token went away between the two calls: it is simply not present.
        }
      }
    }
    return out;
  }
}
