/**
 * @module
 * Requests for every operation of an OpenAPI document, as fast-check arbitraries: a body from the
 * operation's schema, valid or mutated (wrong types, control characters, huge strings, deep
 * nesting, unknown keys, missing required, invalid JSON, wrong content type), path parameters
 * (real tank ids, random uuids, raw percent garbage, unicode), query parameters, headers
 * (Authorization garbage, Idempotency-Key variants) and the caller (valid tokens of several
 * users, none, garbage, forged, expired). `sendFuzzRequest` sends one and judges the answer:
 * never a 5xx, and a problem+json for every 4xx.
 */
import fc from 'fast-check';
import {
  containsNul,
  deepNesting,
  encodeSegment,
  hostileValue,
  hugeString,
  type JsonSchema,
  resolveRef,
  type SchemaRoot,
  validValue,
} from './schema-arbitrary.ts';

/** An OpenAPI 3.1 document, the parts read here. */
export interface OpenApiDoc extends SchemaRoot {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

interface OpenApiOperation {
  parameters?: Array<{
    name: string;
    in: 'path' | 'query' | 'header' | 'cookie';
    required?: boolean;
    schema?: JsonSchema;
  }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
}

export interface Operation {
  method: string;
  /** The template, `/api/tanks/{id}`. */
  path: string;
  params: NonNullable<OpenApiOperation['parameters']>;
  body?: JsonSchema;
  root: SchemaRoot;
}

/**
 * Every operation of `doc`; one that declares no body takes the body schema of the same method
 * and path in `bodiesFrom` (the gateway forwards tank routes to the servers, which declare them).
 *
 * @example
 * ```ts
 * const ops = operationsOf(gatewayDoc, serverDoc); // [{ method: 'POST', path: '/api/tanks/{id}/fish', body: {...} }, ...]
 * ```
 */
export function operationsOf(doc: OpenApiDoc, bodiesFrom?: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      let body = op.requestBody?.content?.['application/json']?.schema;
      let root: SchemaRoot = doc;
      const other = bodiesFrom?.paths[path]?.[method]?.requestBody?.content?.['application/json']?.schema;
      if (!body && other && bodiesFrom) {
        body = other;
        root = bodiesFrom;
      }
      ops.push({ method: method.toUpperCase(), path, params: op.parameters ?? [], body, root });
    }
  }
  return ops;
}

/** Who a request claims to be: a ready Authorization header, or none. */
export interface Identity {
  name: string;
  authorization?: string;
}

/** What the arbitraries draw real ids from; read at generation time, so the pools may change. */
export interface FuzzPools {
  tankIds: string[];
  snapshotIds: string[];
  identities: Identity[];
}

export interface FuzzRequest {
  method: string;
  /** The operation's template, for the tallies. */
  operation: string;
  /** Path and query, encoded. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  identity: string;
  /** The body mutation applied ('valid', 'unknown-key', 'invalid-json'…). */
  mutation: string;
}

/** Percent-encoded strings a path segment may carry as is (the URL parser leaves them). */
const RAW_SEGMENTS = [
  '%00',
  '%E0%A4%A',
  '%',
  '%ZZ',
  '%2e%2e',
  '%2F',
  '%C0%AE',
  '%FF%FE',
  'a%00b',
  '%F0%9F%90%9F',
  '..%2F..%2F',
];

function pathParam(name: string, pools: FuzzPools): fc.Arbitrary<string> {
  const real = fc.nat().map((i) => {
    const pool = name === 'snapshot_id' ? pools.snapshotIds : pools.tankIds;
    return encodeSegment(pool[i % pool.length] ?? 'none');
  });
  const ids: fc.Arbitrary<string>[] = [real];
  if (name === 'entity_id') ids.push(fc.integer({ min: -5, max: 400 }).map(String));
  if (name === 'user_id') ids.push(fc.constantFrom('alice', 'bob', 'mallory', 'carol', 'keeper'));
  return fc.oneof(
    { weight: 10, arbitrary: fc.oneof(...ids) },
    { weight: 1, arbitrary: fc.uuid() },
    {
      weight: 3,
      arbitrary: hostileValue().map((v) =>
        encodeSegment(String(typeof v === 'object' ? JSON.stringify(v) : v)).slice(0, 20_000),
      ),
    },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  );
}

/** Control characters a string that passes its schema may still carry (NUL first). */
const CONTROLS = [String.fromCharCode(0), '\u0001', '\u001f', '\u007f', '\u0085', '\ud800'];

function queryValue(
  schema: JsonSchema | undefined,
  root: SchemaRoot,
  pools: FuzzPools,
  name: string,
): fc.Arbitrary<string> {
  const valid = schema ? validValue(schema, root).map(String) : fc.string();
  const options: fc.Arbitrary<string>[] = [
    valid,
    hostileValue().map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)).slice(0, 10_000)),
  ];
  // A valid value with a control character in it: past the schema, into the store.
  options.push(fc.tuple(valid, fc.constantFrom(...CONTROLS)).map(([v, c]) => `${v}${c}`));
  if (name === 'tank') options.push(fc.nat().map((i) => pools.tankIds[i % pools.tankIds.length] ?? ''));
  return fc.oneof(...options);
}

/** `arbitrary` one time in `oneIn`, else undefined (`fc.option`'s `freq` is the other way round). */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 1, arbitrary }, { weight: oneIn - 1, arbitrary: fc.constant(undefined) });
}

/** A query string: declared parameters (valid or hostile), sometimes repeated, sometimes unknown ones. */
function queryString(op: Operation, pools: FuzzPools): fc.Arbitrary<string> {
  const declared = op.params.filter((p) => p.in === 'query');
  const parts = declared.map((p) =>
    fc.option(
      fc
        .tuple(queryValue(p.schema, op.root, pools, p.name), fc.boolean(), fc.boolean())
        .map(([v, raw, twice]) => {
          const value = raw ? v.replace(/[#&?\s]/g, '') : encodeSegment(v);
          const one = `${p.name}=${value}`;
          return twice ? `${one}&${one}` : one;
        }),
      { nil: undefined },
    ),
  );
  const unknown = sometimes(
    fc
      .tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 30 }))
      .map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`),
    5,
  );
  return fc.tuple(fc.tuple(...parts), unknown).map(([declaredParts, extra]) => {
    const all = [...declaredParts, extra].filter((p): p is string => p !== undefined);
    return all.length > 0 ? `?${all.join('&')}` : '';
  });
}

/** A header value fetch can send: visible ASCII and Latin-1, no CR, LF or NUL. */
const headerText = (maxLength = 60) =>
  fc.string({
    maxLength,
    unit: fc
      .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }), fc.constant(0x09))
      .map((c) => String.fromCharCode(c)),
  });

function authorization(pools: FuzzPools): fc.Arbitrary<Identity> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.nat().map((i) => pools.identities[i % pools.identities.length] as Identity) },
    { weight: 1, arbitrary: headerText(200).map((t) => ({ name: 'garbage-header', authorization: t })) },
    {
      weight: 1,
      arbitrary: headerText(300).map((t) => ({ name: 'garbage-bearer', authorization: `Bearer ${t}` })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          'Bearer',
          'bearer',
          'Basic YWxpY2U6cHc=',
          'Bearer a.b.c',
          'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.',
          'Bearer  ',
          `Bearer ${'A'.repeat(9000)}`,
        )
        .map((authorization) => ({ name: 'garbage-fixed', authorization })),
    },
  );
}

/** Idempotency-Key values: valid, empty, too long, odd characters, repeated across requests. */
const idempotencyKey = fc.option(
  fc.oneof(
    fc.uuid(),
    fc.constantFrom('', ' ', 'same-key', 'x'.repeat(201), 'x'.repeat(5000)),
    headerText(80),
  ),
  { nil: undefined, freq: 2 },
);

const otherHeaders = fc.record(
  {
    accept: fc.constantFrom(
      'application/json',
      '*/*',
      'text/html',
      'application/problem+json',
      '',
      'garbage/;;',
    ),
    origin: fc.constantFrom('http://evil.example', 'null', '', 'http://127.0.0.1'),
    cookie: fc.oneof(headerText(100), fc.constant('tankworld_session=garbage; tankworld_csrf=x')),
    'x-forwarded-for': headerText(40),
    'x-request-id': headerText(300),
    'x-tankworld-server': headerText(40),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity', '*;q=0', 'x'),
  },
  { requiredKeys: [] },
);

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/jsonx',
  'application/json;;;',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  '',
];

interface Body {
  mutation: string;
  text?: string;
  contentType?: string;
}

const json =
  (mutation: string) =>
  (v: unknown): Body => ({ mutation, text: JSON.stringify(v), contentType: 'application/json' });

/** Bodies for an operation: mostly its schema, valid or mutated one way. */
function bodyFor(op: Operation): fc.Arbitrary<Body> {
  const garbage: fc.Arbitrary<Body>[] = [
    fc
      .oneof(
        fc.string({ maxLength: 50 }),
        fc.constantFrom(
          '{',
          '{"a":',
          '[1,2',
          'nul',
          '{"a":1}}',
          '\ufeff{}',
          '{"a":"\\ud800"}',
          '{"__proto__":{"x":1}}',
        ),
      )
      .map((text) => ({ mutation: 'invalid-json', text, contentType: 'application/json' })),
    hostileValue().map(json('hostile-body')),
    deepNesting().map(json('deep-nesting')),
    fc.constant({ mutation: 'empty-json', text: '', contentType: 'application/json' }),
  ];
  if (!op.body) {
    return fc.oneof(
      { weight: 6, arbitrary: fc.constant<Body>({ mutation: 'none' }) },
      { weight: 2, arbitrary: fc.oneof(...garbage) },
    );
  }
  const schema = resolveRef(op.body, op.root);
  const valid = validValue(schema, op.root) as fc.Arbitrary<Record<string, unknown>>;
  const keys = Object.keys(schema.properties ?? {});
  const required = schema.required ?? [];
  const mutated: fc.Arbitrary<Body>[] = [
    fc
      .tuple(valid, fc.string({ maxLength: 20 }), hostileValue())
      .map(([v, k, x]) => json('unknown-key')({ ...v, [k || 'extra']: x })),
    fc
      .tuple(valid, fc.constantFrom(...CONTENT_TYPES))
      .map(([v, contentType]) => ({ mutation: 'wrong-content-type', text: JSON.stringify(v), contentType })),
    fc.tuple(valid, hugeString()).map(([v, s]) => json('huge')({ ...v, [keys[0] ?? 'name']: s })),
    ...garbage,
  ];
  const stringKeys = keys.filter((k) => {
    const type = resolveRef(schema.properties?.[k] as JsonSchema, op.root).type;
    return type === 'string' || (Array.isArray(type) && type.includes('string'));
  });
  if (stringKeys.length > 0)
    mutated.push(
      fc
        .tuple(valid, fc.constantFrom(...stringKeys), fc.constantFrom(...CONTROLS))
        .map(([v, k, c]) =>
          json('control-in-string')({ ...v, [k]: `${typeof v[k] === 'string' ? v[k] : 'x'}${c}` }),
        ),
    );
  if (keys.length > 0)
    mutated.push(
      fc
        .tuple(valid, fc.constantFrom(...keys), hostileValue())
        .map(([v, k, x]) => json('wrong-field')({ ...v, [k]: x })),
    );
  if (required.length > 0)
    mutated.push(
      fc.tuple(valid, fc.constantFrom(...required)).map(([v, k]) => {
        const copy = { ...v };
        delete copy[k];
        return json('missing-required')(copy);
      }),
    );
  return fc.oneof(
    { weight: 3, arbitrary: valid.map(json('valid')) },
    { weight: 7, arbitrary: fc.oneof(...mutated) },
  );
}

/**
 * Requests for one operation.
 *
 * @example
 * ```ts
 * fc.sample(requestsFor(op, pools), { seed: 42, numRuns: 10 });
 * ```
 */
export function requestsFor(op: Operation, pools: FuzzPools): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const segments = fc.tuple(...pathParams.map((p) => pathParam(p.name, pools)));
  const headerParams = op.params.filter((p) => p.in === 'header').map((p) => p.name);
  return fc
    .record({
      segments,
      query: queryString(op, pools),
      who: authorization(pools),
      body: bodyFor(op),
      key: headerParams.includes('idempotency-key')
        ? idempotencyKey
        : sometimes(idempotencyKey, 10).map((k) => k ?? undefined),
      extra: sometimes(otherHeaders, 3),
      otherMethod: sometimes(fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD', 'DELETE', 'POST'), 20),
    })
    .map(({ segments: values, query, who, body, key, extra, otherMethod }) => {
      let path = op.path;
      pathParams.forEach((p, i) => {
        // An empty segment would be another route: the template's own name stands in.
        path = path.replace(`{${p.name}}`, values[i] || p.name);
      });
      const headers: Record<string, string> = { ...extra };
      if (who.authorization !== undefined) headers.authorization = who.authorization;
      if (key !== undefined) headers['idempotency-key'] = key;
      if (body.contentType !== undefined) headers['content-type'] = body.contentType;
      return {
        method: otherMethod ?? op.method,
        operation: `${op.method} ${op.path}`,
        url: `${path}${query}`,
        headers,
        body: body.text,
        identity: who.name,
        mutation: body.mutation,
      };
    });
}

/** Does the request carry a NUL anywhere (raw, percent-encoded or JSON-escaped)? */
export function hasNul(req: FuzzRequest): boolean {
  return containsNul(`${req.url}\n${req.body ?? ''}\n${Object.values(req.headers).join('\n')}`);
}

/** One answer, judged. */
export interface Outcome {
  /** The histogram key: the status, or an error name. */
  key: string;
  /** Why it breaks the property, if it does. */
  failure?: string;
  /** The problem code of a 4xx/5xx, when there is one. */
  code?: string;
  /** The parsed JSON body of a 2xx (a created tank's id is read from it). */
  json?: unknown;
}

/** Codes a 503 may carry when no server is up (the rig keeps them up: still a failure here). */
const NO_SERVER = new Set(['no_healthy_server', 'tank_unavailable']);

/**
 * Sends `req` to `baseUrl` and judges the answer: a 5xx (or no answer) is a failure, and so is a
 * 4xx whose body is not `application/problem+json` with the same status.
 *
 * @example
 * ```ts
 * const outcome = await sendFuzzRequest(gateway.url, req);
 * if (outcome.failure) console.log(req, outcome);
 * ```
 */
export async function sendFuzzRequest(
  baseUrl: string,
  req: FuzzRequest,
  { timeoutMs = 15_000, serversUp = true }: { timeoutMs?: number; serversUp?: boolean } = {},
): Promise<Outcome> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req.body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const name = cause?.code ?? (err as Error).name;
    // A refused oversize body may be answered (413) and closed before it was all sent.
    if (req.body && req.body.length > 60_000 && /ECONNRESET|EPIPE|UND_ERR_SOCKET/.test(name))
      return { key: 'reset-after-413' };
    if ((err as Error).name === 'TypeError' && !cause) return { key: 'unsendable' };
    return { key: `error:${name}`, failure: `no answer: ${(err as Error).message} ${cause?.message ?? ''}` };
  }
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { key: String(res.status) };
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    return { key: `${res.status}:body-error`, failure: `body unreadable: ${(err as Error).message}` };
  }
  const key = String(res.status);
  if (res.status < 400) {
    let parsed: unknown;
    if (type.includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {}
    }
    return { key, json: parsed };
  }
  let problem: { status?: unknown; code?: unknown } | undefined;
  if (req.method !== 'HEAD') {
    try {
      problem = JSON.parse(text);
    } catch {}
  }
  const code = typeof problem?.code === 'string' ? problem.code : undefined;
  if (res.status >= 500 && !(res.status === 503 && !serversUp && code && NO_SERVER.has(code)))
    return { key, code, failure: `${res.status} ${code ?? ''}: ${text.slice(0, 300)}` };
  if (!type.startsWith('application/problem+json'))
    return { key, code, failure: `${res.status} with content-type '${type}': ${text.slice(0, 200)}` };
  if (req.method !== 'HEAD' && problem?.status !== res.status)
    return {
      key,
      code,
      failure: `${res.status} whose problem says status ${String(problem?.status)}: ${text.slice(0, 200)}`,
    };
  return { key, code };
}
