/**
 * The one storage interface the server is written against. Both engines get the same SQL: `?`
 * placeholders (the PostgreSQL adapter numbers them), BIGINT epoch milliseconds for times, TEXT for
 * the rest, `INSERT … ON CONFLICT` and `UPDATE … RETURNING` (SQLite ≥ 3.35). The only dialect
 * difference callers see is `forUpdate`, because SQLite has no row locks (its transactions are
 * already exclusive) and rejects the clause.
 */
export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

export type Dialect = 'sqlite' | 'postgres';

export interface Queryable {
  readonly dialect: Dialect;
  /** ' FOR UPDATE' on PostgreSQL, '' on SQLite: append to a SELECT that must lock its rows. */
  readonly forUpdate: string;
  query<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  exec(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface Db extends Queryable {
  /**
   * Runs fn in one transaction: committed when fn resolves, rolled back when it throws. Inside fn,
   * use only the `tx` handle: calling the outer Db from within would wait for the transaction
   * itself on SQLite (one connection, serialised).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function one<T extends object>(
  q: Queryable,
  sql: string,
  params?: readonly SqlValue[],
): Promise<T | undefined> {
  const rows = await q.query<T>(sql, params);
  return rows[0];
}
