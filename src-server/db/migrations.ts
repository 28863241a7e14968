/**
 * Schema migrations, one list for both engines. `{{id}}` is the only token: an auto-generated
 * BIGINT primary key is spelled differently by SQLite (rowid alias) and PostgreSQL (identity).
 * A migration is applied once, inside a transaction, and recorded in schema_migrations.
 */
import type { Db, Dialect } from './adapter.js';

const MIGRATIONS: { version: number; statements: string[] }[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE organisations (id TEXT PRIMARY KEY, name TEXT NOT NULL, abbreviation TEXT NOT NULL)`,
      `CREATE TABLE units (id {{id}}, org_id TEXT NOT NULL REFERENCES organisations(id), name TEXT NOT NULL,
        code TEXT NOT NULL)`,
      `CREATE TABLE users (id {{id}}, org_id TEXT NOT NULL REFERENCES organisations(id),
        unit_id BIGINT REFERENCES units(id), username TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL,
        title TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT, disabled INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL)`,
      `CREATE TABLE user_certificates (sha256 TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id),
        kind TEXT NOT NULL, subject TEXT NOT NULL, not_before BIGINT NOT NULL, not_after BIGINT NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE INDEX user_certificates_user ON user_certificates(user_id)`,
      `CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
      `INSERT INTO counters (name, value) VALUES ('change', 0)`,
      `CREATE TABLE registers (id {{id}}, org_id TEXT NOT NULL REFERENCES organisations(id), code TEXT NOT NULL,
        name TEXT NOT NULL, notations TEXT NOT NULL, UNIQUE (org_id, code))`,
      `CREATE TABLE register_counters (register_id BIGINT NOT NULL REFERENCES registers(id), year INTEGER NOT NULL,
        last_number BIGINT NOT NULL, PRIMARY KEY (register_id, year))`,
      `CREATE TABLE documents (id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organisations(id),
        title TEXT NOT NULL, doc_type TEXT NOT NULL, sender_org_id TEXT NOT NULL, sender_name TEXT NOT NULL,
        urgency INTEGER NOT NULL, due_at BIGINT, status TEXT NOT NULL, business_type INTEGER NOT NULL DEFAULT 0,
        current_version INTEGER NOT NULL, register_id BIGINT REFERENCES registers(id), number_year INTEGER, number BIGINT,
        notation TEXT, issued_date TEXT, recall_reason TEXT, created_by BIGINT REFERENCES users(id),
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE UNIQUE INDEX documents_register_number ON documents(register_id, number_year, number)`,
      `CREATE TABLE document_versions (document_id TEXT NOT NULL REFERENCES documents(id), version INTEGER NOT NULL,
        sha256 TEXT NOT NULL, size BIGINT NOT NULL, created_by BIGINT REFERENCES users(id),
        created_at BIGINT NOT NULL, PRIMARY KEY (document_id, version))`,
      `CREATE TABLE assignments (id {{id}}, document_id TEXT NOT NULL REFERENCES documents(id),
        user_id BIGINT NOT NULL REFERENCES users(id), action TEXT NOT NULL, step INTEGER NOT NULL,
        state TEXT NOT NULL, visible_seq BIGINT, change_seq BIGINT, completed_version INTEGER,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE INDEX assignments_feed ON assignments(user_id, change_seq)`,
      `CREATE INDEX assignments_document ON assignments(document_id)`,
      `CREATE TABLE signatures (id {{id}}, document_id TEXT NOT NULL REFERENCES documents(id),
        version INTEGER NOT NULL, assignment_id BIGINT REFERENCES assignments(id),
        user_id BIGINT NOT NULL REFERENCES users(id), signer_cert_sha256 TEXT NOT NULL, signer_kind TEXT NOT NULL,
        signer_role TEXT NOT NULL, action TEXT NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE INDEX signatures_document ON signatures(document_id)`,
      `CREATE TABLE idempotency (user_id BIGINT NOT NULL, idem_key TEXT NOT NULL, document_id TEXT NOT NULL,
        request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, idem_key))`,
      `CREATE TABLE directives (id {{id}}, document_id TEXT NOT NULL REFERENCES documents(id),
        author_user_id BIGINT NOT NULL REFERENCES users(id), recipient_unit_id BIGINT REFERENCES units(id),
        recipient_user_id BIGINT REFERENCES users(id), text TEXT NOT NULL, status TEXT NOT NULL, deadline TEXT,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE INDEX directives_document ON directives(document_id)`,
      `CREATE TABLE token_families (id TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id),
        created_at BIGINT NOT NULL, revoked_at BIGINT, revoked_reason TEXT)`,
      `CREATE TABLE access_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL REFERENCES token_families(id),
        user_id BIGINT NOT NULL, expires_at BIGINT NOT NULL)`,
      `CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL REFERENCES token_families(id), user_id BIGINT NOT NULL, expires_at BIGINT NOT NULL,
        used_at BIGINT)`,
      `CREATE TABLE challenges (id TEXT PRIMARY KEY, challenge TEXT NOT NULL, expires_at BIGINT NOT NULL,
        used_at BIGINT)`,
      `CREATE TABLE login_failures (id {{id}}, limiter_key TEXT NOT NULL, at BIGINT NOT NULL)`,
      `CREATE INDEX login_failures_key ON login_failures(limiter_key, at)`,
      `CREATE TABLE audit_log (id {{id}}, at BIGINT NOT NULL, user_id BIGINT, ip TEXT, action TEXT NOT NULL,
        document_id TEXT, status INTEGER NOT NULL, result TEXT NOT NULL, detail TEXT)`,
      `CREATE INDEX audit_log_document ON audit_log(document_id)`,
    ],
  },
  {
    // The desktop clients' signature journals (domain/journal.ts): one hash chain per device,
    // bound to the user who pushed it first. head_* is the last entry held; fork_* the last
    // refused fork (an entry that differed from the one held for its sequence number).
    version: 2,
    statements: [
      `CREATE TABLE journal_devices (id TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id),
        org_id TEXT NOT NULL REFERENCES organisations(id), head_seq BIGINT NOT NULL, head_hash TEXT NOT NULL,
        fork_seq BIGINT, fork_at BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE INDEX journal_devices_user ON journal_devices(user_id)`,
      `CREATE INDEX journal_devices_org ON journal_devices(org_id)`,
      `CREATE TABLE journal_entries (device_id TEXT NOT NULL REFERENCES journal_devices(id), seq BIGINT NOT NULL,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL, event TEXT NOT NULL, document_id TEXT NOT NULL,
        base_version INTEGER NOT NULL, server_version INTEGER, sha256 TEXT, certificate_sha256 TEXT,
        entry_time TEXT NOT NULL, entry TEXT NOT NULL, received_at BIGINT NOT NULL, PRIMARY KEY (device_id, seq))`,
      `CREATE INDEX journal_entries_document ON journal_entries(document_id)`,
    ],
  },
];

const ID: Record<Dialect, string> = {
  sqlite: 'INTEGER PRIMARY KEY',
  postgres: 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY',
};

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export async function migrate(db: Db): Promise<void> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
  );
  for (const m of MIGRATIONS) {
    await db.transaction(async (tx) => {
      // Re-checked inside the transaction so two servers starting on one database apply it once
      // (the second fails on the primary key and rolls back its copy instead of doubling tables).
      const done = await tx.query('SELECT version FROM schema_migrations WHERE version = ?', [m.version]);
      if (done.length > 0) return;
      await tx.exec('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [m.version, Date.now()]);
      for (const s of m.statements) await tx.exec(s.replaceAll('{{id}}', ID[db.dialect]));
    });
  }
}
