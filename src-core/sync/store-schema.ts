/**
 * The local store's schema as numbered migrations. PRAGMA user_version holds the version; each
 * migration runs in its own transaction together with the version bump, so a crash leaves the
 * file at one version or the next. A store newer than this build is refused, not guessed at.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        -- The queue as last synced: one row per assignment (one user's task on one document).
        CREATE TABLE queue_items (
          assignment_id INTEGER PRIMARY KEY,
          document_id TEXT NOT NULL,
          version INTEGER NOT NULL,
          content_sha256 TEXT NOT NULL,
          assignment_state TEXT NOT NULL,
          status TEXT NOT NULL,
          last_change TEXT NOT NULL,
          change_cursor INTEGER NOT NULL,
          item_json TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE INDEX queue_items_document ON queue_items (document_id);

        -- Signatures made here, from the signing call to the server's acknowledgement.
        CREATE TABLE outbox (
          id TEXT PRIMARY KEY,
          assignment_id INTEGER NOT NULL,
          document_id TEXT NOT NULL,
          user_id INTEGER NOT NULL,
          server_url TEXT NOT NULL,
          base_version INTEGER NOT NULL,
          base_sha256 TEXT NOT NULL,
          signed_sha256 TEXT,
          field_name TEXT,
          level TEXT NOT NULL,
          upgraded INTEGER NOT NULL DEFAULT 0,
          state TEXT NOT NULL,
          idempotency_key TEXT NOT NULL UNIQUE,
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL DEFAULT 0,
          last_error TEXT,
          conflict TEXT,
          server_version INTEGER,
          signer_cert_sha256 TEXT,
          signer_subject TEXT,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        -- One live signature per task: a second signing of the same task is refused by the database.
        CREATE UNIQUE INDEX outbox_one_live ON outbox (assignment_id) WHERE state IN ('signing', 'pending');
        CREATE INDEX outbox_state ON outbox (state, next_attempt_at);

        CREATE TABLE journal (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL, hash TEXT NOT NULL);
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
