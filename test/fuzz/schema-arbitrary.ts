/**
 * @module
 * fast-check arbitraries from JSON schemas (the OpenAPI documents' and `z.toJSONSchema`'s): a
 * value that fits the schema (`validValue`), and the hostile values a mutation puts in its place
 * (`hostileValue`): wrong types, control characters, huge strings, deep nesting, numbers out of
 * range. Only the JSON schema keywords our zod schemas produce are read.
 */
import fc from 'fast-check';

/** A JSON schema, or a part of one, as the documents give it. */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  [key: string]: unknown;
};

/** Where `$ref`s point: `#/components/schemas/<name>` (OpenAPI) or `#/$defs/<name>` (zod). */
export interface SchemaRoot {
  components?: { schemas?: Record<string, JsonSchema> };
  $defs?: Record<string, JsonSchema>;
}

/** Follows a local `$ref`; the schema itself when it has none. */
export function resolveRef(schema: JsonSchema, root: SchemaRoot): JsonSchema {
  let at = schema;
  for (let hops = 0; at.$ref && hops < 10; hops++) {
    const name = at.$ref.split('/').pop() as string;
    const next = root.components?.schemas?.[name] ?? root.$defs?.[name];
    if (!next) throw new Error(`unresolved $ref ${at.$ref}`);
    at = next;
  }
  return at;
}

/** Strings that break things: controls, NUL, lone surrogates, RTL marks, emoji, SQL and path bits. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0007\u0008\u001b[31m',
  '\r\n\r\nX-Injected: 1',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u200b\ufeff',
  '🐟🐠🐡',
  "' OR 1=1 --",
  '../../etc/passwd',
  '%00',
  '%',
  '%E0%A4%A',
  '{"$gt":""}',
  '__proto__',
  'constructor',
  'null',
  'NaN',
  '-0',
  '1e309',
  '9'.repeat(400),
];

/** A string of any code points, control characters included. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(...NASTY_STRINGS),
);

/** A number JSON can carry that a schema is unlikely to allow. */
const wildNumber = fc.oneof(
  fc.constantFrom(-1, 0, -0, 0.5, 2 ** 31, 2 ** 31 - 1, 2 ** 53, -(2 ** 53), 1e308, -1e308, 5e-324, 1e21),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** A JSON value of any shape, shallow. */
const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

/** Arrays or objects nested `depth` deep (a parser's recursion, a validator's path building). */
export function deepNesting(): fc.Arbitrary<unknown> {
  return fc.tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([depth, arrays]) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
    return v;
  });
}

/** A huge string: past every `maxLength`, sometimes past the body limit. */
export function hugeString(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(300, 1_000, 5_000, 70_000), fc.constantFrom('x', 'é', '🐟', '\u0001'))
    .map(([n, c]) => c.repeat(n));
}

/** Any value of the wrong kind: what a mutation puts where a field was. */
export function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: anyString },
    { weight: 3, arbitrary: wildNumber },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { '': null }) },
    { weight: 2, arbitrary: anyJson },
    { weight: 1, arbitrary: hugeString() },
    { weight: 1, arbitrary: deepNesting() },
  );
}

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return fc.uuid({ version: 4 });
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 30, minLength + 30);
  return fc.string({ minLength, maxLength, unit: fc.constantFrom(...'abcdefghij-_ 0123456789') });
}

function numberFor(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min =
    schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1e-6 : -1e6);
  const max =
    schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1e-6 : 1e6);
  if (integer)
    return fc.integer({ min: Math.ceil(Math.max(min, -(2 ** 31))), max: Math.floor(Math.min(max, 2 ** 31)) });
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/**
 * A value that fits `schema` (as far as these keywords say): every required property, a random
 * subset of the optional ones.
 *
 * @example
 * ```ts
 * const body = validValue(doc.components.schemas.CreateTank, doc); // e.g. { name: 'a-3', seed: 17 }
 * ```
 */
export function validValue(schema: JsonSchema, root: SchemaRoot, depth = 0): fc.Arbitrary<unknown> {
  const s = resolveRef(schema, root);
  if (depth > 6) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => validValue(a, root, depth + 1)));
  if (s.allOf?.length) return validValue(s.allOf[0] as JsonSchema, root, depth + 1);
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => validValue({ ...s, type }, root, depth + 1)));
  switch (types[0]) {
    case 'string':
      return stringFor(s);
    case 'integer':
      return numberFor(s, true);
    case 'number':
      return numberFor(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items ? validValue(s.items, root, depth + 1) : anyJson, {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, (s.minItems ?? 0) + 4),
      });
    case 'object': {
      const properties = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const shape: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, value] of Object.entries(properties)) shape[key] = validValue(value, root, depth + 1);
      if (Object.keys(shape).length === 0 && s.additionalProperties && s.additionalProperties !== true)
        return fc.dictionary(
          fc.string({ maxLength: 12 }),
          validValue(s.additionalProperties, root, depth + 1),
          { maxKeys: 4 },
        );
      return fc.record(shape, { requiredKeys: [...required].filter((k) => k in shape) });
    }
    default:
      return anyJson;
  }
}

/** Top-level property names of an object schema (after `$ref`s). */
export function propertyNames(schema: JsonSchema, root: SchemaRoot): string[] {
  const s = resolveRef(schema, root);
  return Object.keys(s.properties ?? {});
}

const NUL = String.fromCharCode(0);

/** Does `text` carry a NUL: raw, percent-encoded (`%00`) or JSON-escaped (`\\u0000`)? */
export function containsNul(text: string): boolean {
  return text.includes(NUL) || text.includes('%00') || text.includes('\\u0000');
}

/** `encodeURIComponent` of any string: lone surrogates (which it throws on) become U+FFFD first. */
export function encodeSegment(text: string): string {
  return encodeURIComponent(text.toWellFormed());
}
