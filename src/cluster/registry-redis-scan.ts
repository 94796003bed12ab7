import type { Redis } from 'ioredis';

/**
 * The resync's read: every hash whose name starts with `prefix`, found by SCAN (never KEYS, which
 * blocks Redis for the whole keyspace) and read in one pipeline of HGETALL. Rejects on the first
 * failed command; the registry counts that as an outage.
 */

/** Keys per SCAN step: a few hundred streams come back in one or two round trips. */
const SCAN_COUNT = 1000;

/** name without `prefix` → fields. A key that lapsed between SCAN and HGETALL (an empty hash) is left out. */
export async function scanHashes(client: Redis, prefix: string): Promise<Map<string, Record<string, string>>> {
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, page] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (const name of page) names.add(name);
  } while (cursor !== '0');
  const out = new Map<string, Record<string, string>>();
  if (names.size === 0) return out;
  const pipeline = client.pipeline();
  for (const name of names) pipeline.hgetall(name);
  const results = (await pipeline.exec()) ?? [];
  let i = 0;
  for (const name of names) {
    const [err, value] = results[i++] ?? [new Error(`no answer for HGETALL ${name}`), undefined];
    if (err !== null) throw err;
    const fields = value as Record<string, string>;
    if (Object.keys(fields).length > 0) out.set(name.slice(prefix.length), fields);
  }
  return out;
}
