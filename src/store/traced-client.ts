/**
 * @module
 * A CLIENT span for every statement sent to PostgreSQL: the postgres.js client's `unsafe` (what
 * Drizzle sends every query through) is wrapped so the query's span starts when it is made and
 * ends when it settles, in the trace of whatever request made it. Transactions get the same
 * wrapping on the client `begin` hands them.
 */
import type postgres from 'postgres';
import { context, SpanKind, SpanStatusCode, trace } from '../telemetry/index.ts';

const tracer = () => trace.getTracer('tankworld_store');

/** `SELECT`, `INSERT`, … : the span name without the statement's values or identifiers' noise. */
function operationOf(query: string): string {
  return /^\s*(\w+)/.exec(query)?.[1]?.toUpperCase() ?? 'QUERY';
}

type Sql = postgres.Sql;

function wrapUnsafe(sql: Sql): void {
  const unsafe = sql.unsafe.bind(sql);
  sql.unsafe = ((query: string, ...rest: unknown[]) => {
    const pending = (unsafe as (q: string, ...r: unknown[]) => postgres.PendingQuery<postgres.Row[]>)(
      query,
      ...rest,
    );
    const span = tracer().startSpan(
      `postgres ${operationOf(query)}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system': 'postgresql', 'db.statement': query.slice(0, 500) },
      },
      context.active(),
    );
    // postgres.js runs a query when it is first awaited; the span closes with its outcome.
    const then = pending.then.bind(pending);
    let ended = false;
    const end = (err?: unknown) => {
      if (ended) return;
      ended = true;
      if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      span.end();
    };
    type Settle = ((value: unknown) => unknown) | null | undefined;
    const untyped = then as (ok: Settle, fail: Settle) => Promise<unknown>;
    // biome-ignore lint/suspicious/noThenProperty: a postgres.js query is a thenable; its own then is wrapped
    pending.then = ((ok: Settle, fail: Settle) =>
      untyped(
        (value) => {
          end();
          return ok ? ok(value) : value;
        },
        (err) => {
          end(err);
          if (fail) return fail(err);
          throw err;
        },
      )) as typeof pending.then;
    return pending;
  }) as typeof sql.unsafe;
}

/**
 * Wraps `sql` (and the clients its transactions get) so every statement makes a span.
 *
 * @example
 * ```ts
 * const client = traceQueries(postgres(databaseUrl));
 * const db = drizzle({ client, schema });
 * ```
 */
export function traceQueries(sql: Sql): Sql {
  wrapUnsafe(sql);
  const begin = sql.begin.bind(sql) as (...args: unknown[]) => Promise<unknown>;
  (sql as { begin: unknown }).begin = (...args: unknown[]) => {
    const last = args.length - 1;
    const fn = args[last] as (tx: Sql) => unknown;
    args[last] = (tx: Sql) => {
      wrapUnsafe(tx);
      return fn(tx);
    };
    return begin(...args);
  };
  return sql;
}
