/**
 * GET /api/config: the options the server runs with, as JSON an operator can read and diff, with
 * no secret in it. Options hold secrets under telling names (API and play tokens, webhook and HMAC
 * secrets, TLS keys), in URLs (`redis://user:password@host`) and in query strings (`?token=`);
 * each is replaced by REDACTED. Functions (an injected clock, a strategy's decide) are left out and
 * instances (a store, a job store) shown by their class name: neither is configuration one can copy.
 */

export const REDACTED = '<redacted>';

/** Property names whose value is a secret whatever its type: `tokens`, `secret`, `edgeSecret`, `password`, `key`, `cert`, … */
const SECRET_NAME = /(?:secret|token|password|passphrase|credential|private)|^(?:keys?|cert|apiKey)$/i;
/** `scheme://user:password@` in a URL. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi;
/** A secret in a query string: `token=`, `access_token=`, `secret=`, `key=`, `sig=`, `signature=`. */
const QUERY_SECRET = /([?&](?:[a-z_]*token|secret|key|sig|signature)=)[^&#\s]*/gi;
/** Nesting deeper than this is not configuration: it is shown as REDACTED rather than walked. */
const MAX_DEPTH = 12;

/** `value` as JSON-safe data with every secret replaced (see above). */
export function redactConfig(value: unknown, depth = 0, ancestors = new Set<object>()): unknown {
  if (typeof value === 'string') return value.replace(URL_CREDENTIALS, `$1${REDACTED}@`).replace(QUERY_SECRET, `$1${REDACTED}`);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (typeof value !== 'object') return undefined;
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  // `ancestors`: a cycle is cut, an object shared by two options is shown under both.
  if (depth >= MAX_DEPTH || ancestors.has(value)) return REDACTED;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (!Array.isArray(value) && proto !== null && proto !== Object.prototype) return `[${(value as { constructor?: { name?: string } }).constructor?.name ?? 'object'}]`;
  ancestors.add(value);
  let out: unknown;
  if (Array.isArray(value)) out = value.map((item) => redactConfig(item, depth + 1, ancestors) ?? null);
  else {
    const fields: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) {
      if (typeof item === 'function' || item === undefined) continue;
      fields[name] = SECRET_NAME.test(name) ? REDACTED : redactConfig(item, depth + 1, ancestors);
    }
    out = fields;
  }
  ancestors.delete(value);
  return out;
}
