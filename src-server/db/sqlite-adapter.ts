/**
 * better-sqlite3 behind the async Db interface. better-sqlite3 is synchronous and this server
 * keeps one connection, so an async transaction could interleave with another request's
 * statements on that same connection; a FIFO lock serialises every statement and transaction.
 * BEGIN IMMEDIATE takes the write lock up front so that a second process sharing the file waits
 * (busy_timeout) instead of failing half-way.
 */
import Database from 'better-sqlite3';
import type { Db, Queryable, SqlValue } from './adapter.js';

type Statement = Database.Statement<SqlValue[]>;

export function openSqlite(file: string): Db {
  const conn = new Database(file);
  conn.pragma('journal_mode = WAL');
  // FULL: an acknowledged signed upload must survive a power cut, not only a process crash.
  conn.pragma('synchronous = FULL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('busy_timeout = 5000');

  const cache = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let st = cache.get(sql);
    if (!st) {
      st = conn.prepare<SqlValue[]>(sql);
      cache.set(sql, st);
    }
    return st;
  };

  const raw: Queryable = {
    dialect: 'sqlite',
    forUpdate: '',
    query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      const st = prepare(sql);
      if (!st.reader) {
        st.run(...params);
        return Promise.resolve([]);
      }
      return Promise.resolve(st.all(...params) as T[]);
    },
    exec(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
      const st = prepare(sql);
      if (st.reader) {
        st.all(...params);
        return Promise.resolve({ changes: 0 });
      }
      return Promise.resolve({ changes: st.run(...params).changes });
    },
  };

  let tail: Promise<unknown> = Promise.resolve();
  function locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  }

  let closed = false;
  return {
    dialect: 'sqlite',
    forUpdate: '',
    query: (sql, params) => locked(() => raw.query(sql, params)),
    exec: (sql, params) => locked(() => raw.exec(sql, params)),
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return locked(async () => {
        conn.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(raw);
          conn.exec('COMMIT');
          return result;
        } catch (e) {
          if (conn.inTransaction) conn.exec('ROLLBACK');
          throw e;
        }
      });
    },
    close: () =>
      locked(() => {
        if (!closed) {
          closed = true;
          conn.close();
        }
        return Promise.resolve();
      }),
  };
}
