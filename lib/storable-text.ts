/**
 * Text PostgreSQL can store. A text or jsonb value cannot hold NUL (U+0000), and a lone UTF-16
 * surrogate (half of a pair) has no UTF-8 form: node-postgres and PGlite silently turn it into U+FFFD
 * in a text column, while jsonb refuses its `\udXXX` escape. So input with either is refused at
 * validation (`unstorableText`), and text we produce ourselves (a model's answer) is made storable
 * before it is saved (`toStorable`), the same way on every driver.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATE_ALL = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Why `s` cannot be stored, or null when it can. */
export function unstorableReason(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'must not contain an unpaired UTF-16 surrogate';
  return null;
}

/**
 * Every string in a JSON-like value (object keys included) that cannot be stored, with its path
 * (`tags.1`, `messages.0.parts.0.text`). Stops after `limit` findings.
 */
export function unstorableText(value: unknown, limit = 20): { path: string; message: string }[] {
  const found: { path: string; message: string }[] = [];
  const walk = (v: unknown, path: string[], depth: number) => {
    if (found.length >= limit || depth > 64) return;
    if (typeof v === 'string') {
      const reason = unstorableReason(v);
      if (reason) found.push({ path: path.join('.') || '(root)', message: reason });
    } else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) walk(item, [...path, String(i)], depth + 1);
    } else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const reason = unstorableReason(k);
        if (reason) found.push({ path: [...path, k].join('.'), message: `field name ${reason}` });
        walk(item, [...path, k], depth + 1);
      }
    }
  };
  walk(value, [], 0);
  return found;
}

/** `s` with NUL and lone surrogates replaced by U+FFFD, so nothing is lost silently but the rest. */
export function toStorableString(s: string): string {
  return s.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE_ALL, '\uFFFD');
}

/** A JSON-like value with every string (and key) made storable; other values are kept. */
export function toStorable<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return toStorableString(value) as T;
  if (depth > 64) return value;
  if (Array.isArray(value)) return value.map((v) => toStorable(v, depth + 1)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[toStorableString(k)] = toStorable(v, depth + 1);
    return out as T;
  }
  return value;
}
