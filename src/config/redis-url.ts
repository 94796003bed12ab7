/**
 * A `redis://` or `rediss://` URL as it may be shown (logs, errors, /api): the password replaced by
 * `***`. Undefined when `url` is not a Redis URL, so the caller can refuse it naming its option.
 */
export function redactedRedisUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return undefined;
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
