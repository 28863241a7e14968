/**
 * `--db` decides the engine: a postgres:// or postgresql:// URL opens PostgreSQL, anything else is
 * a SQLite file path. Document files live on disk either way (blob-store.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Db } from './adapter.js';
import { migrate } from './migrations.js';
import { openPostgres } from './postgres-adapter.js';
import { openSqlite } from './sqlite-adapter.js';

export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

export async function openDatabase(spec: string): Promise<Db> {
  let db: Db;
  if (isPostgresUrl(spec)) {
    db = openPostgres(spec);
  } else {
    const file = resolve(spec);
    mkdirSync(dirname(file), { recursive: true });
    db = openSqlite(file);
  }
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  return db;
}
