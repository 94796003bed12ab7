import type { Static } from '@sinclair/typebox';
import type { ViewerSession } from './play-auth.js';
import { MediaError } from '../errors/index.js';
import type { Hub } from '../hub/index.js';
import type { PlayerStream, RtmpServer, ServerSession } from '../rtmp/index.js';
import type { SessionSchema } from './control-api-schemas.js';

/**
 * The sessions of GET /api/sessions: each RTMP publisher and player (one per message stream of a
 * connection, `rtmp-<connection id>-<message stream id>`, the id the hub knows a publisher by), and
 * the HTTP viewers play authorization tracks by their session token. Read from the RTMP server's
 * open sessions at each call; only what those do not keep (the public name a publish was admitted
 * under, when a player started) is remembered here, and forgotten with the stream or the player.
 */

export type ApiSession = Static<typeof SessionSchema>;

/** An HTTP viewer as play authorization (play-auth.ts) tracks it. */
export type HttpViewer = Readonly<ViewerSession>;

/** What kicking a session id did. */
export type KickResult = 'kicked' | 'unknown' | 'not kickable';

/** Viewer counts are computed from the whole list at most this often, however many streams ask. */
const VIEWER_COUNTS_MS = 1000;

const RTMP_ID = /^rtmp-(\d+)-(\d+)$/;

export class ApiSessions {
  readonly #rtmp: RtmpServer;
  readonly #now: () => number;
  readonly #viewers: () => readonly HttpViewer[];
  /** Admitted publishers by hub publisher id: the name the hub has (a callback may map a secret key to it). */
  readonly #publishers = new Map<string, { app: string; streamKey: string; startedAtMs: number }>();
  readonly #players = new WeakMap<PlayerStream, { app: string; startedAtMs: number }>();
  #counts: { atMs: number; byStream: Map<string, Record<string, number>> } | undefined;

  constructor(rtmp: RtmpServer, hub: Hub, options: { now: () => number; viewers?: () => readonly HttpViewer[] }) {
    this.#rtmp = rtmp;
    this.#now = options.now;
    this.#viewers = options.viewers ?? (() => []);
    const admitted = (id: string, stream: { app: string; streamKey: string }, nowMs: number): void => void this.#publishers.set(id, { app: stream.app, streamKey: stream.streamKey, startedAtMs: nowMs });
    hub.on('streamStart', ({ stream, publisherId, nowMs }) => admitted(publisherId, stream, nowMs));
    hub.on('publisherReplaced', ({ stream, previous, next, nowMs }) => {
      this.#publishers.delete(previous.id);
      admitted(next.id, stream, nowMs);
    });
    hub.on('streamEnd', ({ publisherId }) => void this.#publishers.delete(publisherId));
    rtmp.on('playing', (player, request) => this.#players.set(player, { app: request.app, startedAtMs: this.#now() }));
  }

  /** Every session now, RTMP first (by connection), then HTTP viewers. */
  list(): ApiSession[] {
    const sessions: ApiSession[] = [];
    for (const session of this.#rtmp.sessions) {
      const bytes = { received: session.bytesReceived, sent: session.bytesSent };
      for (const [messageStreamId, published] of session.publishedStreams) {
        const id = `rtmp-${session.id}-${messageStreamId}`;
        const admitted = this.#publishers.get(id);
        const name = admitted ?? { app: published.app, streamKey: published.streamKey, startedAtMs: this.#now() };
        sessions.push({ id, protocol: 'rtmp', role: 'publisher', app: name.app, streamKey: name.streamKey, remoteAddress: session.remoteAddress, startedAt: iso(name.startedAtMs), bytes });
      }
      for (const [messageStreamId, player] of session.playerStreams) {
        if (!player.active) continue;
        const known = this.#players.get(player);
        const app = known?.app ?? session.connectInfo?.app ?? '';
        sessions.push({ id: `rtmp-${session.id}-${messageStreamId}`, protocol: 'rtmp', role: 'player', app, streamKey: player.streamKey, remoteAddress: session.remoteAddress, startedAt: iso(known?.startedAtMs ?? this.#now()), bytes });
      }
    }
    for (const v of this.#viewers()) {
      sessions.push({ id: `${v.protocol}-${v.id}`, protocol: v.protocol, role: 'viewer', app: v.app, streamKey: v.streamKey, remoteAddress: v.remoteAddress, startedAt: iso(v.startedAtMs), requests: v.requests });
    }
    return sessions;
  }

  /**
   * Ends an RTMP session's stream: the client hears NetStream.Failed with `ERR_MEDIA_KICKED` on that
   * message stream (a publisher's is what `abortPublish` sends; a player takes the same status) and
   * its connection closes. An HTTP viewer holds a signed token until it expires: it cannot be kicked.
   */
  kick(id: string): KickResult {
    const match = RTMP_ID.exec(id);
    if (match === null) return this.#viewers().some((v) => `${v.protocol}-${v.id}` === id) ? 'not kickable' : 'unknown';
    const session = this.#find(Number(match[1]));
    const messageStreamId = Number(match[2]);
    if (session === undefined || !(session.publishedStreams.has(messageStreamId) || session.playerStreams.get(messageStreamId)?.active === true)) return 'unknown';
    session.abortPublish(messageStreamId, new MediaError('ERR_MEDIA_KICKED', `session ${id} was ended through the control API`, { sessionId: id }));
    return 'kicked';
  }

  /** Viewers of `app/key` per protocol and role (`rtmp` players, `hls` and `dash` viewers), from a list at most a second old. */
  viewers(app: string, streamKey: string): Record<string, number> {
    const nowMs = this.#now();
    if (this.#counts === undefined || nowMs - this.#counts.atMs >= VIEWER_COUNTS_MS) {
      const byStream = new Map<string, Record<string, number>>();
      for (const s of this.list()) {
        if (s.role === 'publisher') continue;
        const name = `${s.app}/${s.streamKey}`;
        const counts = byStream.get(name) ?? {};
        counts[s.protocol] = (counts[s.protocol] ?? 0) + 1;
        byStream.set(name, counts);
      }
      this.#counts = { atMs: nowMs, byStream };
    }
    return this.#counts.byStream.get(`${app}/${streamKey}`) ?? {};
  }

  #find(sessionId: number): ServerSession | undefined {
    for (const session of this.#rtmp.sessions) if (session.id === sessionId) return session;
    return undefined;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
