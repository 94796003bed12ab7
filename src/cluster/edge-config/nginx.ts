import { checkEdgeDescription, duration, edgeTimings, formatHostPort, header, shellLine, type EdgeDescription } from './description.js';

/**
 * The nginx edge (nginx 1.22+, no module beyond the stock http ones), per research/cluster.md
 * §2.4: an upstream hashed on the stream, a cache key with the delivery directives in a fixed
 * order, one origin request per key at a time (proxy_cache_lock), TTLs from the origin. It runs
 * as any user: pid, temporary files and logs in the run directory. Its limit, written down in
 * docs/cluster.md: requests waiting on the cache lock re-check it every 500 ms at most, so a
 * collapsed blocking reload carries 0–500 ms more than through Varnish.
 */

/** Objects unread this long leave the cache: longer than any live window (the DVR default included). */
const CACHE_INACTIVE = '10m';
/** Keys in the shared zone: 1 MiB holds about 8 000 (nginx docs), 32 MiB a few hundred streams' windows. */
const KEYS_ZONE_MIB = 32;
/** Idle connections kept open to the origins per worker. */
const UPSTREAM_KEEPALIVE = 64;

export function nginxConf(input: EdgeDescription): string {
  const description = checkEdgeDescription(input, 'nginx');
  const t = edgeTimings(description);
  const run = description.runDir;
  const lock = duration(t.cacheLockSeconds);
  const stale = 'proxy_cache_use_stale updating error timeout http_500 http_502 http_503 http_504;';
  return `${header('nginx', description, shellLine('nginx', nginxArgs(description, '<file>')))}

worker_processes auto;
pid ${run}/nginx.pid;
error_log stderr warn;

events {
    worker_connections 8192;
}

http {
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    client_body_temp_path ${run}/client_body_temp;
    proxy_temp_path ${run}/proxy_temp;
    fastcgi_temp_path ${run}/fastcgi_temp;
    uwsgi_temp_path ${run}/uwsgi_temp;
    scgi_temp_path ${run}/scgi_temp;

    log_format tidecast '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time '
                        'cache=$upstream_cache_status origin=$upstream_addr $upstream_response_time';
    access_log ${run}/access.log tidecast;

    proxy_cache_path ${description.cacheDir} levels=1:2 keys_zone=tidecast:${KEYS_ZONE_MIB}m max_size=${description.cacheSizeMiB}m inactive=${CACHE_INACTIVE} use_temp_path=off;

    # The stream of a path, /<app>/<key>/ after a play session's /t/<session>/: the hash key.
    map $uri $tc_stream {
        "~^(?:/t/[^/]+)?(?<tc_stream_dir>/[^/]+/[^/]+/)" $tc_stream_dir;
        default $uri;
    }
    # The path as the viewer sent it, which the origin reads: the cache key's first half.
    map $request_uri $tc_path {
        "~^(?<tc_path_raw>[^?]*)" $tc_path_raw;
    }
    # RFC 8216bis 6.2.5 directives, case-sensitive and the first of each name, as the origin reads them.
    map $args $tc_msn {
        "~(?:^|&)(?<tc_msn_value>_HLS_msn(?:=[^&]*)?)(?:&|$)" $tc_msn_value;
        default "";
    }
    map $args $tc_part {
        "~(?:^|&)(?<tc_part_value>_HLS_part(?:=[^&]*)?)(?:&|$)" $tc_part_value;
        default "";
    }
    map $args $tc_skip {
        "~(?:^|&)(?<tc_skip_value>_HLS_skip(?:=[^&]*)?)(?:&|$)" $tc_skip_value;
        default "";
    }
    # The key's query: the directives in a fixed order; a token or cache buster never splits it.
    map "$tc_msn&$tc_part&$tc_skip" $tc_directives {
        "&&" "";
        default "?$tc_msn&$tc_part&$tc_skip";
    }
    # A playlist asked without _HLS_msn: live, kept by no nginx (below).
    map $tc_msn $tc_live_playlist {
        "" 1;
        default "";
    }
    # A 5xx is never cached, whatever its Cache-Control says.
    map $upstream_status $tc_upstream_failed {
        "~5[0-9][0-9]$" 1;
        default "";
    }

    upstream tc_origins {
        hash $tc_stream consistent;
${description.origins.map((origin) => `        server ${formatHostPort(origin)} max_fails=2 fail_timeout=5s;`).join('\n')}
        keepalive ${UPSTREAM_KEEPALIVE};
    }

    server {
        listen ${formatHostPort(description.listen)};

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_connect_timeout 1s;
        # A blocking reload waits at the origin up to ${t.blockingHoldSeconds} s.
        proxy_read_timeout ${duration(t.upstreamTimeoutSeconds)};
        # The read timeout is longer than the origin's longest hold (${t.blockingHoldSeconds} s, then a 503): an origin
        # that says nothing for that long is stuck (frozen: it still accepts connections), so a
        # timeout, like a failed connection, tries the next origin.
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 2;
        proxy_buffering on;
        proxy_cache tidecast;
        proxy_cache_methods GET HEAD;
        proxy_cache_valid 404 1s;
        proxy_no_cache $tc_upstream_failed;
        add_header X-Cache-Status $upstream_cache_status always;

        # Media playlists, /<app>/<key>/<rendition>/<name>.m3u8: blocking reloads, keyed on the directives.
        # A live playlist without _HLS_msn should be kept half a part (the origin says max-age=0);
        # nginx counts lifetimes in whole seconds, so it goes to the origin each time, past the cache
        # and its lock (a lock on an answer nobody keeps would hold the others up to 500 ms).
        location ~ "^(/t/[^/]+)?/[^/]+/[^/]+/[^/]+/[^/]+\\.m3u8$" {
            proxy_pass http://tc_origins;
            proxy_cache_key $tc_path$tc_directives;
            proxy_cache_bypass $tc_live_playlist;
            proxy_no_cache $tc_live_playlist $tc_upstream_failed;
            proxy_cache_lock on;
            proxy_cache_lock_timeout ${lock};
            proxy_cache_lock_age ${lock};
            ${stale}
            proxy_cache_background_update on;
        }

        # Multivariant playlists, /<app>/<key>/<name>.m3u8: live playlists too (max-age=0), so past
        # the cache like the media playlists without directives; no lock either way.
        location ~ "^(/t/[^/]+)?/[^/]+/[^/]+/[^/]+\\.m3u8$" {
            proxy_pass http://tc_origins;
            proxy_cache_key $tc_path;
            proxy_cache_bypass $tc_live_playlist;
            proxy_no_cache $tc_live_playlist $tc_upstream_failed;
            ${stale}
            proxy_cache_background_update on;
        }

        # Init sections, parts and segments (immutable under their names); the rest carries
        # max-age=0 (MPDs) or no-store (the API, /time) from the origin and is not kept.
        location / {
            proxy_pass http://tc_origins;
            proxy_cache_key $tc_path;
            proxy_cache_lock on;
            proxy_cache_lock_timeout ${lock};
            proxy_cache_lock_age ${lock};
            ${stale}
            proxy_cache_background_update on;
        }
    }
}
`;
}

/** nginx's arguments for a generated file at `confPath`: prefix = the run directory, foreground, errors on stderr. */
export function nginxArgs(description: EdgeDescription, confPath: string): string[] {
  return ['-p', description.runDir, '-c', confPath, '-e', 'stderr', '-g', 'daemon off;'];
}
