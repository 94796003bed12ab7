import { checkEdgeDescription, duration, edgeTimings, formatHostPort, header, shellLine, type EdgeDescription } from './description.js';

/**
 * The Varnish edge (Varnish 7.1+, VCL 4.1): the low-latency default. Varnish puts the misses for
 * one object on a waiting list and answers them all from one origin request (request coalescing,
 * on unless `req.hash_ignore_busy`, which this VCL never sets), and with `beresp.do_stream` the
 * waiters get the bytes as they arrive; nginx's cache lock makes waiters poll every 500 ms instead
 * (research/cluster.md §2.3). Every line of the output is explained in docs/cluster.md.
 */

/** The origin's health route: answered by every origin without a stream or auth (src/http/delivery.ts). */
export const ORIGIN_PROBE_PATH = '/time';

/**
 * How long an answer the edge must not cache stays a hit-for-miss marker: the built-in VCL's 120 s
 * would send every request for that URL past the waiting list for two minutes; 0 s would serialize
 * the waiters (each would find nothing, and the next one would wait again). One second: the
 * waiters of a failed fetch go to the origin side by side, and the next cacheable answer is kept.
 */
const HIT_FOR_MISS_SECONDS = 1;
/** RFC 8216bis 6.2.5 directives, the only query parameters a playlist's answer depends on, in key order. */
const DIRECTIVES = ['_HLS_msn', '_HLS_part', '_HLS_skip'] as const;

export function varnishVcl(input: EdgeDescription): string {
  const description = checkEdgeDescription(input, 'varnish');
  const t = edgeTimings(description);
  const backends = description.origins.map(
    (origin, i) => `backend tc_origin_${i} {
    .host = "${origin.host}";
    .port = "${origin.port}";
    .connect_timeout = 1s;
    # A blocking reload waits at the origin up to ${t.blockingHoldSeconds} s before its first byte.
    .first_byte_timeout = ${duration(t.upstreamTimeoutSeconds)};
    .between_bytes_timeout = ${duration(t.upstreamTimeoutSeconds)};
    .probe = tc_origin_health;
}`,
  );
  const directiveLines = DIRECTIVES.map((name) => {
    const first = `^[^?]*\\?(?:[^&]*&)*?(${name}(?:=[^&]*)?)(?:&.*)?$`;
    return `    if (req.url ~ "${first}") {
        set req.http.X-TC-Q = req.http.X-TC-Q + "&" + regsub(req.url, "${first}", "\\1");
    }`;
  });
  return `vcl 4.1;
${header('varnish', description, shellLine('varnishd', varnishdArgs(description, '<file>')))}

import directors;

# Origins are healthy from the start (.initial = .threshold) and sick after 2 failed probes of 3.
probe tc_origin_health {
    .url = "${ORIGIN_PROBE_PATH}";
    .interval = 1s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
    .initial = 2;
}

${backends.join('\n\n')}

sub vcl_init {
    # Consistent hashing on the stream: one stream's misses go to one origin, and when it is sick
    # to the next healthy one on the ring (healthy=CHOSEN), the other streams staying where they were.
    new tc_origins = directors.shard();
${description.origins.map((_, i) => `    tc_origins.add_backend(tc_origin_${i});`).join('\n')}
    tc_origins.reconfigure();
}

sub vcl_recv {
    unset req.http.X-TC-Forward;
    if (req.method != "GET" && req.method != "HEAD") {
        # The control API and preflights: never cached.
        return (pass);
    }
    if (req.http.Authorization) {
        # A play credential as a bearer token: the origin answers each viewer (302, 401 or 403).
        return (pass);
    }
    unset req.http.Cookie;
    # The cache key's query: the delivery directives, each the first of its name (as the origin
    # reads them), always in the order _HLS_msn, _HLS_part, _HLS_skip.
    set req.http.X-TC-Q = "";
${directiveLines.join('\n')}
    set req.http.X-TC-Q = regsub(req.http.X-TC-Q, "^&", "");
    # Every other parameter (a play token, a player's cache buster) stays out of the key but goes
    # to the origin on a miss: answers made from a credential are no-store there, so never shared.
    set req.http.X-TC-Forward = regsub(regsuball(regsub(req.url, "^[^?]*\\??", "&"), "&_HLS_(?:msn|part|skip)(?:=[^&]*)?(?=&|$)", ""), "^&", "");
    if (req.http.X-TC-Q ~ ".") {
        set req.url = regsub(req.url, "\\?.*$", "") + "?" + req.http.X-TC-Q;
    } else {
        set req.url = regsub(req.url, "\\?.*$", "");
    }
    unset req.http.X-TC-Q;
    return (hash);
}

sub vcl_hash {
    # The canonical URL alone: one site per edge, so the Host header does not split the cache.
    hash_data(req.url);
    return (lookup);
}

sub vcl_backend_fetch {
    if (bereq.http.X-TC-Forward ~ ".") {
        if (bereq.url ~ "\\?") {
            set bereq.url = bereq.url + "&" + bereq.http.X-TC-Forward;
        } else {
            set bereq.url = bereq.url + "?" + bereq.http.X-TC-Forward;
        }
    }
    unset bereq.http.X-TC-Forward;
    # The stream is /<app>/<key>/, after a play session's /t/<session>/ prefix.
    set bereq.backend = tc_origins.backend(by=KEY, key=tc_origins.key(regsub(bereq.url, "^(?:/t/[^/]+)?(/[^/?]+/[^/?]+/).*$", "\\1")));
}

sub vcl_backend_response {
    # Waiters get the bytes as they arrive. A part reaches the edge whole (RFC 8216bis 6.2.6).
    set beresp.do_stream = true;
    if (beresp.status >= 500) {
        # Never cached, whatever the origin says.
        set beresp.ttl = ${duration(HIT_FOR_MISS_SECONDS)};
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control ~ "(?i)no-cache|no-store|private" || beresp.http.Vary == "*") {
        # Not to be shared: a credential's redirect, a 400, a 404 of what may yet appear.
        set beresp.ttl = ${duration(HIT_FOR_MISS_SECONDS)};
        if (beresp.status == 404) {
            # A part a few parts ahead exists within a part or two: its viewers are coalesced
            # again half a part later, the marker gone.
            set beresp.ttl = ${duration(t.livePlaylistSeconds)};
        }
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    if (beresp.status == 404) {
        # A 404 the origin lets be kept (a part that will never appear): a second at most.
        if (beresp.ttl > 1s) {
            set beresp.ttl = 1s;
        }
        set beresp.grace = 0s;
        return (deliver);
    }
    if (beresp.status == 200 && beresp.ttl <= 0s && bereq.url ~ "\\.(m3u8|mpd)(\\?|$)") {
        # A live playlist without directives (max-age=0: stale at once for a browser): kept
        # half a part, so N viewers asking meanwhile cost one origin request and none gets it
        # older than that. Varnish counts in milliseconds; Cache-Control cannot.
        set beresp.ttl = ${duration(t.livePlaylistSeconds)};
        set beresp.grace = 0s;
        return (deliver);
    }
    if (beresp.ttl <= 0s) {
        # Stale at once and not a playlist: not kept.
        set beresp.ttl = ${duration(HIT_FOR_MISS_SECONDS)};
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # Otherwise the TTL is the origin's Cache-Control max-age, as Varnish read it (a blocking
    # answer 1 s; parts, segments and init sections a year).
    if (bereq.url ~ "\\.m3u8(\\?|$)") {
        # A blocking answer a little past its second still satisfies its directives.
        set beresp.grace = ${duration(t.livePlaylistSeconds)};
    }
    return (deliver);
}

sub vcl_backend_error {
    # A fetch that failed (origin down, timeout): the waiters try again side by side.
    set beresp.ttl = ${duration(HIT_FOR_MISS_SECONDS)};
    set beresp.grace = 0s;
    set beresp.uncacheable = true;
}

sub vcl_deliver {
    # A waiter served from a coalesced fetch counts as a hit. Varnish writes Age itself.
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
`;
}

export interface VarnishdRunOptions {
  /** `-j none`: no privilege separation (tests, a single-user demo). Default: varnishd's own (unix as root). */
  readonly noJail?: boolean;
}

/**
 * varnishd's arguments for `description` (foreground, -F): listen address, working directory in
 * the run directory, memory storage of the cache size. `vclPath` is the generated file.
 */
export function varnishdArgs(description: EdgeDescription, vclPath: string, options: VarnishdRunOptions = {}): string[] {
  return [
    '-F',
    '-f',
    vclPath,
    '-a',
    formatHostPort(description.listen),
    '-n',
    `${description.runDir}/varnish`,
    '-s',
    `malloc,${description.cacheSizeMiB}M`,
    ...(options.noJail === true ? ['-j', 'none'] : []),
  ];
}
