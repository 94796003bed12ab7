import { checkEdgeDescription, formatHostPort, header, shellLine, type EdgeDescription } from './description.js';

/**
 * The RTMP balancer (HAProxy 2.6+): TCP only, since the stream key arrives in the RTMP `publish`
 * command, after the connection is placed (research/cluster.md §4): each publisher goes to the
 * origin with the fewest connections, which registers the stream (src/cluster registry). The
 * origin learns the publisher's address from the PROXY protocol v2 header HAProxy writes first
 * (`send-proxy-v2`); the origins' RTMP listeners must have `rtmp.proxyProtocol` on.
 */

/**
 * Inactivity limits. A publisher sends media all the time and an idle one is closed by the
 * origin's own RTMP idle limit; HAProxy's are only there to reap connections nobody closed.
 */
const SESSION_IDLE = '1h';
/**
 * Connections at once. HAProxy raises its descriptor limit to about 2 × maxconn and refuses to
 * start when the hard limit is lower (10 000 needs 20 018; Debian's default hard limit is 20 000
 * in some containers). 4 096 publishers per balancer is past what two-core origins ingest.
 */
const MAX_CONNECTIONS = 4096;

export function haproxyCfg(input: EdgeDescription): string {
  const description = checkEdgeDescription(input, 'haproxy');
  return `${header('haproxy', description, shellLine('haproxy', haproxyArgs('<file>')))}

global
    log stderr format raw local0 info
    pidfile ${description.runDir}/haproxy.pid
    # Publishers, not viewers; each takes two descriptors, within a usual 20 000 hard limit.
    maxconn ${MAX_CONNECTIONS}

defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    # A publisher whose origin refuses the connection is placed on another one.
    option redispatch
    retries 2
    timeout connect 3s
    timeout client ${SESSION_IDLE}
    timeout server ${SESSION_IDLE}
    timeout tunnel ${SESSION_IDLE}
    timeout client-fin 10s
    timeout server-fin 10s

frontend tc_rtmp
    bind ${formatHostPort(description.listen)}
    default_backend tc_rtmp_origins

backend tc_rtmp_origins
    # RTMP sessions last hours: count them, not the requests.
    balance leastconn
    option tcpka
    # Every connection starts with a PROXY v2 header (the publisher's address); the connect
    # health checks send one too, with the LOCAL command, which the origin answers as its own.
    default-server send-proxy-v2 check check-send-proxy inter 2s fall 2 rise 2
${description.rtmpOrigins.map((origin, i) => `    server origin${i} ${formatHostPort(origin)}`).join('\n')}
`;
}

/** haproxy's arguments for a generated file at `cfgPath`: foreground (-db), pid file written by the config. */
export function haproxyArgs(cfgPath: string): string[] {
  return ['-db', '-f', cfgPath];
}
