/**
 * drizzle's postgres.js driver runs every query unprepared (`prepare: false` on each call), and postgres.js then sends
 * a query that has parameters in two round trips, describing it before it binds the values, while Postgres parses and
 * plans it again each time. Prepared, as postgres.js does by default, a query string is parsed once per connection and
 * each later use is one round trip that only binds and executes (docs/BENCHMARKS.md, "Many clients at once"). This
 * wraps the client so that drizzle's queries, its transactions' and their savepoints' included, are prepared.
 */
import type { Sql, TransactionSql } from 'postgres';

type Callback = (sql: TransactionSql) => unknown;

export function preparingStatements<T extends Sql | TransactionSql>(sql: T): T {
  return new Proxy(sql, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'unsafe') {
        const unsafe = value as Sql['unsafe'];
        return (query: string, parameters?: Parameters<Sql['unsafe']>[1], options?: object) =>
          unsafe(query, parameters, { ...options, prepare: true });
      }
      if (property === 'begin' || property === 'savepoint') {
        const start = value as (...args: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => {
          const callback = args.pop() as Callback;
          return start(...args, (transaction: TransactionSql) => callback(preparingStatements(transaction)));
        };
      }
      return value;
    },
  });
}
