/**
 * node-postgres behind the async Db interface. Statements are written with `?` placeholders and
 * numbered here ($1, $2 …), so the SQL text stays shared with SQLite; none of our SQL has a `?`
 * inside a string literal. BIGINT comes back as a JS number (all our integers are epoch
 * milliseconds, counters and ids, far below 2^53) instead of pg's default string.
 */
import pg from 'pg';
import type { Db, Queryable, SqlValue } from './adapter.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
/** Deadlock and serialisation failures: the whole transaction is safe to run again. */
const RETRYABLE = new Set(['40P01', '40001']);

export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function openPostgres(url: string, opts: { max?: number } = {}): Db {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, (v: string) => Number(v));
  types.setTypeParser(NUMERIC_OID, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, types });
  // An idle client losing its connection must not crash the process; the next checkout reconnects.
  pool.on('error', () => undefined);

  const sqlCache = new Map<string, string>();
  const numbered = (sql: string): string => {
    let s = sqlCache.get(sql);
    if (s === undefined) {
      s = numberPlaceholders(sql);
      sqlCache.set(sql, s);
    }
    return s;
  };

  const over = (c: pg.Pool | pg.PoolClient): Queryable => ({
    dialect: 'postgres',
    forUpdate: ' FOR UPDATE',
    async query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      const r = await c.query(numbered(sql), [...params]);
      return r.rows as T[];
    },
    async exec(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
      const r = await c.query(numbered(sql), [...params]);
      return { changes: r.rowCount ?? 0 };
    },
  });

  const direct = over(pool);
  return {
    ...direct,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn(over(client));
          await client.query('COMMIT');
          return result;
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          const code = (e as { code?: unknown }).code;
          if (attempt < 4 && typeof code === 'string' && RETRYABLE.has(code)) continue;
          throw e;
        } finally {
          client.release();
        }
      }
    },
    close: () => pool.end(),
  };
}
