import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { StreamRegistry } from '../cluster/index.js';
import { errorBody, stringEnum } from './control-api-schemas.js';

/**
 * `GET /api/cluster` (docs/cluster.md "Origins"): what this origin knows of its cluster from the
 * registry's local map, read without a round trip to the shared store: its health ('degraded' while
 * the store is unreachable: it keeps serving and holds new claims locally), the origins whose
 * heartbeat is current, who owns each stream and where its playlists stand, and this origin's
 * claims. 404 without the `cluster` option.
 */
const NOT_CONFIGURED = 'this server is not part of a cluster (the `cluster` option)';

const Position = { msn: Type.Integer({ description: 'The next segment number the owner reported' }), dseq: Type.Integer({ description: 'Its discontinuity sequence' }) };

export const ClusterView = Type.Object(
  {
    originId: Type.String(),
    health: stringEnum(['ok', 'degraded']),
    origins: Type.Array(Type.Object({ id: Type.String(), baseUrl: Type.String(), load: Type.Number(), updatedAtMs: Type.Integer({ description: 'Its last heartbeat, epoch ms (its clock)' }) })),
    streams: Type.Array(Type.Object({ key: Type.String({ description: '<app>/<key>' }), owner: Type.String(), epoch: Type.Integer({ description: 'The fencing token: raised by every claim' }), baseUrl: Type.String(), ...Position })),
    claims: Type.Array(Type.Object({ key: Type.String(), epoch: Type.Integer(), confirmed: Type.Boolean({ description: 'False: made while the store was unreachable, held locally until it returns' }), holds: Type.Boolean({ description: 'Whether this origin acts as the owner now: false while the claim is suspect after a pause longer than a lease, until the next refresh round has asked the store' }) })),
  },
  { description: "This origin's view of the cluster" },
);

export function clusterApiRoutes(sources: { registry(): StreamRegistry | undefined }): (api: FastifyInstance) => void {
  return (api) => {
    api.get('/api/cluster', { schema: { summary: "This origin's view of the cluster", tags: ['server'], response: { 200: ClusterView, 404: errorBody(NOT_CONFIGURED) } } }, async (_request, reply) => {
      const registry = sources.registry();
      if (registry === undefined) return reply.code(404).send({ error: 'not found', message: NOT_CONFIGURED });
      return {
        originId: registry.originId,
        health: registry.health(),
        origins: [...registry.origins().values()].map((o) => ({ id: o.id, baseUrl: o.baseUrl, load: o.load, updatedAtMs: o.updatedAtMs })),
        streams: [...registry.routes().values()].map((r) => ({ key: r.key, owner: r.owner, epoch: r.epoch, baseUrl: r.baseUrl, msn: r.position.msn, dseq: r.position.dseq })),
        claims: [...registry.claims().values()].map((c) => ({ key: c.key, epoch: c.epoch, confirmed: c.confirmed, holds: registry.holds(c.key) })),
      };
    });
  };
}
