/**
 * Cache-Control per object type: the origin's contract with the caches in front of it (browsers,
 * and the Varnish and nginx edges of docs/cluster.md "The origin's contract with caches"). Two
 * rules shape it. An edge must be able to coalesce what many viewers ask at once, so nothing a
 * crowd asks for is `no-store`/`no-cache`/`private` (Varnish makes such an answer a hit-for-miss
 * marker and sends every request for it to the origin, research/cluster.md §2.2). And nothing may
 * be served staler than LL-HLS allows: a playlist no more than half a part behind the origin's.
 * Cache-Control counts in whole seconds, so what needs less (a plain playlist) says `max-age=0` and
 * the generated edge configurations give it its sub-second lifetime (src/cluster/edge-config).
 */

/**
 * Segments, init sections and LL-HLS parts never change under their name (a codec change gets a
 * new init name; parts, like segments, are numbered on for as long as the stream lives, across
 * republishes): immutable for a year. Parts used to get three target durations, because they are
 * listed only that long; but a max-age does not free a cache's space (its LRU does), and an edge
 * that re-fetches a part it already holds only adds origin requests. The names are unique per
 * stream life: a stream forgotten after its retention and published again starts at 0 again,
 * which is why object URIs carry the registry's epoch in a cluster (docs/cluster.md).
 */
export const MEDIA_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * A live playlist without Delivery Directives (media, multivariant, `plain.m3u8`, a delta update):
 * it changes with every part, so a browser must not reuse it, but a shared cache may keep it for a
 * moment and hand it to every viewer asking meanwhile. `max-age=0` is stale at once for a browser
 * and cacheable for an edge; the Varnish edge keeps it half a part (its VCL, sub-second TTLs) so no
 * viewer gets it more than half a part behind, and nginx, whose TTLs are whole seconds, does not
 * keep it at all (docs/cluster.md). Never `no-cache`: that would make it a hit-for-miss in Varnish.
 */
export const LIVE_PLAYLIST_CACHE_CONTROL = 'public, max-age=0';

/**
 * A playlist that must be revalidated by every cache: a recording's while it is being written
 * (src/server/recordings-files.ts), outside the live path and its edges.
 */
export const PLAYLIST_CACHE_CONTROL = 'no-cache';

/**
 * A blocking reload's answer (`_HLS_msn`, `_HLS_part`): its URL names the part it waited for and
 * every later request for that URL may have it, so an edge hands one origin answer to every viewer
 * asking the same. About a part would be right; Cache-Control has no fraction of a second, so one
 * second (AWS MediaPackage's value for LL-HLS playlists): long enough to cover a burst of viewers,
 * short enough that a late viewer's answer is at most a second behind, and its next reload (the
 * part after, already there) catches up at once.
 */
export const BLOCKING_PLAYLIST_CACHE_CONTROL = 'public, max-age=1';

/**
 * A 404 that stays true: a part of a segment already closed without it, or slid out of the live
 * window. Kept a second, so a player asking again and again costs the origin one request a second.
 */
export const GONE_CACHE_CONTROL = 'public, max-age=1';

/**
 * An answer that holds only for now: a 404 for something that may yet appear (a part a few parts
 * ahead, which exists within a part target or two; a stream not live here yet or moving here), a
 * 400, a 503, every other error. Caches must not keep it a moment: the 200 may follow within 200 ms.
 */
export const NO_STORE_CACHE_CONTROL = 'no-store';

/** A file the store has, by its path: playlists as live playlists, everything else immutable. */
export function cacheControlFor(path: string): string {
  return path.endsWith('.m3u8') ? LIVE_PLAYLIST_CACHE_CONTROL : MEDIA_CACHE_CONTROL;
}

