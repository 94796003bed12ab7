import type { StreamPosition } from './registry.js';

/**
 * The registry's Lua scripts: each decision about a lease is one script, so Redis runs it
 * atomically and no interleaving of two origins can give a key two owners (the standard
 * single-instance lock, redis.io "Distributed locks with Redis", plus a fencing counter).
 *
 * KEYS[1] is the lease, `<prefix>stream:<key>`: a hash {owner, epoch, url, msn, dseq, updatedAt}
 * with a PX TTL (the lease time). KEYS[2] is the fencing record, `<prefix>epoch:<key>`: a hash
 * {epoch, owner, msn, dseq} that outlives the lease (the retention time) so that epochs only grow
 * and a successor continues the playlists after the lease lapsed. Route messages are published
 * from inside the scripts, so a message goes out exactly when the state changed.
 */

/** Lua: cjson builds the route message. */
const PUBLISH = `
local function publish(channel, kind, key, owner, epoch, url, msn, dseq)
  redis.call('PUBLISH', channel, cjson.encode({t = kind, key = key, owner = owner, epoch = epoch, url = url, msn = tonumber(msn) or 0, dseq = tonumber(dseq) or 0}))
end
`;

/**
 * Takeover. ARGV: owner, url, nowMs, leaseMs, retainMs, channel, key, baseEpoch, wantedEpoch.
 * A fresh claim passes baseEpoch -1 and wantedEpoch 0: the epoch becomes counter + 1, whoever
 * held the key. A claim made during an outage is replayed with the epoch it was based on and the
 * provisional epoch it took: refused when another origin claimed after that base; when the last
 * claim is this origin's own (one whose answer the outage cut), that lease is taken back with the
 * higher of the two epochs; else the claim gets the provisional epoch (at least counter + 1).
 * Returns {1, epoch, msn, dseq} (msn/dseq '' when nothing is known) or {0, newerEpoch, owner}.
 */
export const CLAIM_LUA = `${PUBLISH}
local counter = tonumber(redis.call('HGET', KEYS[2], 'epoch') or '0')
local last = redis.call('HGET', KEYS[2], 'owner') or ''
local base = tonumber(ARGV[8])
local wanted = tonumber(ARGV[9])
local epoch
if base >= 0 and counter > base then
  if last ~= ARGV[1] then return {0, counter, last} end
  epoch = math.max(counter, wanted)
else
  epoch = math.max(counter + 1, wanted)
end
local msn = redis.call('HGET', KEYS[2], 'msn')
local dseq = redis.call('HGET', KEYS[2], 'dseq')
redis.call('HSET', KEYS[2], 'epoch', epoch, 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'epoch', epoch, 'url', ARGV[2], 'msn', msn or 0, 'dseq', dseq or 0, 'updatedAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
publish(ARGV[6], 'claim', ARGV[7], ARGV[1], epoch, ARGV[2], msn, dseq)
return {1, epoch, msn or '', dseq or ''}
`;

/**
 * Heartbeat. ARGV: owner, epoch, url, msn, dseq, nowMs, leaseMs, retainMs, channel, key.
 * Extends the lease if owner and epoch match; re-creates it if it is absent (lapsed during an
 * outage, or Redis restarted empty) and no newer epoch exists; else refuses: the caller was fenced.
 * Returns {1, epoch, ''} extended, {2, epoch, ''} re-created, or {0, newerEpoch, owner, url, msn,
 * dseq} refused: the lease of the newer owner (url and position '' when it has lapsed), so that the
 * fenced origin knows where the stream went at once.
 */
export const REFRESH_LUA = `${PUBLISH}
local epoch = tonumber(ARGV[2])
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner then
  local held = tonumber(redis.call('HGET', KEYS[1], 'epoch'))
  if owner ~= ARGV[1] or held ~= epoch then return {0, held, owner, redis.call('HGET', KEYS[1], 'url') or '', redis.call('HGET', KEYS[1], 'msn') or '', redis.call('HGET', KEYS[1], 'dseq') or ''} end
  redis.call('HSET', KEYS[1], 'msn', ARGV[4], 'dseq', ARGV[5], 'updatedAt', ARGV[6])
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
  redis.call('HSET', KEYS[2], 'msn', ARGV[4], 'dseq', ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
  return {1, epoch, ''}
end
local counter = tonumber(redis.call('HGET', KEYS[2], 'epoch') or '0')
local last = redis.call('HGET', KEYS[2], 'owner') or ''
if counter > epoch or (counter == epoch and last ~= '' and last ~= ARGV[1]) then return {0, counter, last} end
redis.call('HSET', KEYS[2], 'epoch', epoch, 'owner', ARGV[1], 'msn', ARGV[4], 'dseq', ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'epoch', epoch, 'url', ARGV[3], 'msn', ARGV[4], 'dseq', ARGV[5], 'updatedAt', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
publish(ARGV[9], 'claim', ARGV[10], ARGV[1], epoch, ARGV[3], ARGV[4], ARGV[5])
return {2, epoch, ''}
`;

/**
 * Compare-and-delete. ARGV: owner, epoch, msn, dseq (both '' when not given), retainMs, channel, key.
 * Deletes the lease only if owner and epoch match; the position is kept in the fencing record
 * when this epoch is still the newest, for a successor to continue. Returns 1 deleted, 0 not ours.
 */
export const RELEASE_LUA = `${PUBLISH}
local owner = redis.call('HGET', KEYS[1], 'owner')
local held = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
local epoch = tonumber(ARGV[2])
local deleted = 0
if owner then
  if owner ~= ARGV[1] or held ~= epoch then return 0 end
  redis.call('DEL', KEYS[1])
  publish(ARGV[6], 'release', ARGV[7], ARGV[1], epoch, '', ARGV[3], ARGV[4])
  deleted = 1
end
if ARGV[3] ~= '' and tonumber(redis.call('HGET', KEYS[2], 'epoch') or '0') == epoch then
  redis.call('HSET', KEYS[2], 'msn', ARGV[3], 'dseq', ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return deleted
`;

/** What the claim and refresh scripts answered. */
export type LeaseReply =
  | { readonly ok: true; readonly recreated: boolean; readonly epoch: number; readonly msn: number | undefined; readonly dseq: number | undefined }
  | { readonly ok: false; readonly newerEpoch: number; readonly owner: string; readonly route?: { readonly url: string; readonly position: StreamPosition } };

/** The claim or refresh script's array reply, typed; a shape the scripts never return is an Error. */
export function parseLeaseReply(reply: unknown): LeaseReply {
  if (!Array.isArray(reply) || reply.length < 3) throw new Error(`registry script answered ${JSON.stringify(reply)}`);
  const [status, epoch, third, fourth, fifth, sixth] = reply as unknown[];
  const epochNumber = Number(epoch);
  const count = (v: unknown): number | undefined => (v === '' || v === undefined || v === null ? undefined : Number(v));
  if (status === 0) {
    const owner = String(third ?? '');
    const url = typeof fourth === 'string' ? fourth : '';
    const route = owner !== '' && url !== '' ? { url, position: { msn: count(fifth) ?? 0, dseq: count(sixth) ?? 0 } } : undefined;
    return { ok: false, newerEpoch: epochNumber, owner, ...(route === undefined ? {} : { route }) };
  }
  return { ok: true, recreated: status === 2, epoch: epochNumber, msn: count(third), dseq: count(fourth) };
}

/** A message on the routes channel, as the scripts publish it. */
export interface RouteMessage {
  readonly t: 'claim' | 'release';
  readonly key: string;
  readonly owner: string;
  readonly epoch: number;
  readonly url: string;
  /** A claim's continuation, a release's last position (0 when unknown). */
  readonly position: StreamPosition;
}

/** The message, or undefined for anything else on the channel (another version, a stray PUBLISH). */
export function parseRouteMessage(text: string): RouteMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if ((m['t'] !== 'claim' && m['t'] !== 'release') || typeof m['key'] !== 'string' || typeof m['owner'] !== 'string' || typeof m['epoch'] !== 'number') return undefined;
  // cjson encodes an empty string as "" but a missing one not at all.
  const url = typeof m['url'] === 'string' ? m['url'] : '';
  const count = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
  return { t: m['t'], key: m['key'], owner: m['owner'], epoch: m['epoch'], url, position: { msn: count(m['msn']), dseq: count(m['dseq']) } };
}
