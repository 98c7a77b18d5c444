/**
 * @module
 * The one check that keeps control characters out of what the API accepts. PostgreSQL refuses
 * NUL (0x00) in `text` and `\u0000` in `jsonb`, so a NUL that reached a query used to answer 500;
 * and no id, key, name or header value has a use for the other C0 controls either. Every value a
 * route's zod schemas let through (body, query, path parameters, headers) is walked here once,
 * after it parsed, so a new route or field is covered without a line of its own.
 */

/** Tab, line feed and carriage return: the only controls free text (a description) may hold. */
const TEXT_ALLOWED = new Set([0x09, 0x0a, 0x0d]);

/**
 * The first C0 control or DEL in `value` (tab, LF and CR pass when `text`), as its index; -1 when
 * there is none. None belongs in an id, a query or path parameter, or a header value.
 * (A loop, not a regular expression: the linter rightly distrusts control characters in those.)
 */
function controlAt(value: string, text: boolean): number {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 || code === 0x7f) && !(text && TEXT_ALLOWED.has(code))) return i;
  }
  return -1;
}

/** Body fields that name something (`user_id`, `idempotency_key`…) are held to the strict rule. */
const IDENTIFIER_FIELD = /(^|_)(id|key)$/;

/** Where a refused control character was found, and which one. */
export interface ControlCharFinding {
  /** The field's path, dot-separated (`user_id`, `items.2.name`); `(body)` for a bare string. */
  path: string;
  /** The character as a code point, e.g. `U+0000`. */
  char: string;
}

function codePoint(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function walk(
  value: unknown,
  path: string[],
  strict: boolean,
  depth: number,
): ControlCharFinding | undefined {
  if (typeof value === 'string') {
    const last = path[path.length - 1] ?? '';
    const at = controlAt(value, !(strict || IDENTIFIER_FIELD.test(last)));
    return at < 0 ? undefined : { path: path.join('.') || '(body)', char: codePoint(value.charCodeAt(at)) };
  }
  // Zod has already bounded the shapes; the depth cap only guards against a pathological schema.
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [key, inner] of entries) {
    // A key is a name too: `{"\u0000": 1}` in a free-form record is refused like a value.
    const at = controlAt(key, false);
    if (at >= 0) return { path: [...path, key].join('.'), char: codePoint(key.charCodeAt(at)) };
    const found = walk(inner, [...path, key], strict, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * The first control character in a validated request value that has no business there, or
 * undefined. Path parameters, query parameters and headers (`strict`) refuse every C0 control
 * and DEL; a JSON body refuses them in fields named like ids (`*_id`, `*_key`) and in keys, and
 * allows only tab, line feed and carriage return in other strings.
 *
 * @example
 * ```ts
 * findControlChar({ user_id: 'b\u0000b' }, { strict: false }); // { path: 'user_id', char: 'U+0000' }
 * findControlChar({ description: 'two\nlines' }, { strict: false }); // undefined
 * ```
 */
export function findControlChar(
  value: unknown,
  { strict }: { strict: boolean },
): ControlCharFinding | undefined {
  return walk(value, [], strict, 0);
}
