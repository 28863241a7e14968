/** Everything a route needs, created once per server (app.ts) and passed down explicitly. */
import type { Db } from './db/adapter.js';
import type { RateLimitPolicy } from './auth/rate-limit.js';
import type { SessionPolicy } from './auth/sessions.js';
import type { UploadInspector } from './domain/inspector.js';
import type { BlobStore } from './store/blob-store.js';

export interface AppDeps {
  db: Db;
  blobs: BlobStore;
  inspector: UploadInspector;
  now: () => number;
  maxUploadBytes: number;
  maxJsonBytes: number;
  rateLimit: RateLimitPolicy;
  sessions: SessionPolicy;
  log: (line: string) => void;
}
