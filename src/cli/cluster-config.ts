import { Type, type Static } from '@sinclair/typebox';
import { hostname } from 'node:os';
import { DEFAULT_LEASE_MS, DEFAULT_REFRESH_MS, DEFAULT_REGISTRY_PREFIX, RedisStreamRegistry } from '../cluster/index.js';
import type { MediaServerOptions } from '../server/index.js';

/**
 * The `cluster` section of the config file (docs/cluster.md "Origins"): this server as one origin
 * of several sharing a Redis registry. A TypeBox schema (the file's check, the TIDECAST_CLUSTER_*
 * variables, the example) and `clusterOptions`, createMediaServer's `cluster` option from it.
 */
export const CLUSTER_SCHEMA = Type.Object(
  {
    redisUrl: Type.String({ secret: true, examples: ['redis://10.0.0.5:6379'], description: 'The registry, and the live jobs when `redis` is not set (docs/cluster.md "Jobs across origins"): redis://[user:password@]host[:port][/db] or rediss:// (TLS).' }),
    originId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$', examples: ['origin-a'], description: "This origin's id, unique in the cluster. Default: <hostname>-<http port>." })),
    baseUrl: Type.Optional(Type.String({ format: 'url', examples: ['http://10.0.0.11:8080'], description: "This origin's HTTP base URL as the other origins reach it (they forward its streams' requests there). Default: http://<host>:<http port>." })),
    prefix: Type.Optional(Type.String({ default: DEFAULT_REGISTRY_PREFIX, description: "Prefix of the registry's Redis keys and channel, so clusters can share a Redis." })),
    leaseMs: Type.Optional(Type.Integer({ minimum: 200, maximum: 600_000, default: DEFAULT_LEASE_MS, description: "A claim lives this long without a refresh, ms: a dead origin's streams can move after it." })),
    refreshMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 300_000, default: DEFAULT_REFRESH_MS, description: 'Claims, the heartbeat and the route resync run this often, ms; at most leaseMs / 2.' })),
  },
  { title: 'this server as one origin of a cluster with a Redis registry (docs/cluster.md)', description: 'Several origins (docs/cluster.md). Default: none, one process.' },
);

export type ClusterConfig = Static<typeof CLUSTER_SCHEMA>;

/** The section as createMediaServer's `cluster` option: a RedisStreamRegistry made once the HTTP port is bound. */
export function clusterOptions(config: { cluster?: ClusterConfig; host?: string; httpPort?: number; httpWorkers?: number }): Pick<MediaServerOptions, 'cluster'> {
  const section = config.cluster;
  if (section === undefined) return {};
  // Behind HTTP workers (--http-workers) the media server's own port is internal (127.0.0.1, not
  // reachable from other machines, and past the workers): other origins are given the public one,
  // when it is a fixed port (with port 0 only baseUrl can say it).
  const publicPort = (config.httpWorkers ?? 0) > 0 && config.httpPort !== undefined && config.httpPort !== 0 ? config.httpPort : undefined;
  return {
    cluster: {
      registry: (internal) => {
        const bound = publicPort === undefined ? internal : `http://127.0.0.1:${publicPort}`;
        const port = new URL(bound).port;
        const baseUrl = section.baseUrl ?? (config.host === undefined || config.host === '0.0.0.0' || config.host === '::' ? bound : `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`);
        return new RedisStreamRegistry({
          url: section.redisUrl,
          originId: section.originId ?? `${hostname().replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 100)}-${port}`,
          baseUrl,
          ...(section.prefix === undefined ? {} : { prefix: section.prefix }),
          ...(section.leaseMs === undefined ? {} : { leaseMs: section.leaseMs }),
          ...(section.refreshMs === undefined ? {} : { refreshMs: section.refreshMs }),
        });
      },
    },
  };
}
