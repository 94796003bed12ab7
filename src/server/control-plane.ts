import type { EventEmitter } from 'eventemitter3';
import type { RtmpServer } from '../rtmp/index.js';
import type { Job, JobServiceEvents } from '../transcode/index.js';
import type { HealthReport } from '../observability/index.js';
import type { MediaServerEvents } from './media-server-events.js';
import { Authorizer, type AuthDecision, type AuthorizerOptions, type AuthRequest } from './authorization.js';
import { ServerMetrics, type MetricsOptions, type MetricsSources } from './metrics.js';
import type { IngestAccess } from './rtmp-ingest.js';
import { PlayAuth, type PlaySessionOptions } from './play-auth.js';
import { WebhookDispatcher, type WebhookOptions } from './webhooks.js';

/**
 * The control plane's parts that watch the server (issue 12): Prometheus metrics (metrics.ts), the
 * webhooks and in-process events (webhooks.ts) for streams, sessions and health changes, and the
 * health watch that turns a change of a stream's report into `stream.health_changed`.
 */

export interface ControlPlaneOptions {
  readonly metrics?: MetricsOptions;
  /** Webhook endpoints (docs/webhooks.md); without it events still reach `control.events` in process. */
  readonly webhooks?: WebhookOptions;
  /** How often each live stream's health report is compared with the last one, ms. Default 2000. */
  readonly healthWatchMs?: number;
  /** Publish and play authorization (docs/auth.md): per-app strategies. Default none: everything is open. */
  readonly auth?: Omit<AuthorizerOptions, 'now'> & {
    /** HTTP play sessions (play-auth.ts): the token secret, lifetime, and a CDN's shared secret. */
    readonly sessions?: PlaySessionOptions;
  };
}

/** A refused publish or play, as the API and the dashboard list them. */
export interface AuthDenial {
  readonly atMs: number;
  readonly action: string;
  readonly app: string;
  readonly key: string;
  readonly ip: string;
  readonly reason: string;
}

/** Publishes allowed with `record: true` whose publish has not begun yet (a refused one's mark waits): the oldest go first. */
const RECORD_ASKED_MAX = 1000;

/** Denials kept for the API and the dashboard. */
const RECENT_DENIALS = 50;

type Sources = Omit<MetricsSources, 'onSegment'>;

export class ControlPlane {
  readonly metrics: ServerMetrics;
  /** Every event, as queued for the webhooks: `control.events.on('event', …)` for library users. */
  readonly events: WebhookDispatcher;
  /** Publish (RTMP ingest) and play authorization, when `auth` is configured. */
  readonly access: IngestAccess | undefined;
  /** HTTP play authorization (HLS, DASH): session tokens in the path, viewers as sessions; with `auth` only. */
  readonly play: PlayAuth | undefined;
  /** The newest refusals first, at most RECENT_DENIALS. */
  readonly recentDenials: AuthDenial[] = [];
  readonly #sources: Sources;
  readonly #health = new Map<string, string>();
  /** `<app>/<key>` (the published name) of publishes an authorization allowed with `record: true` (recording-wiring.ts takes them). */
  readonly #recordAsked = new Set<string>();
  readonly #timer: NodeJS.Timeout;

  constructor(server: EventEmitter<MediaServerEvents>, rtmp: RtmpServer, sources: Sources, options: ControlPlaneOptions = {}) {
    this.#sources = sources;
    const httpViewers = (app: string, key: string): { hls: number; dash: number } | undefined => this.play?.viewerCount(app, key);
    this.metrics = new ServerMetrics({ ...sources, httpViewers, onSegment: (listener) => server.on('segment', listener) }, options.metrics);
    this.events = new WebhookDispatcher(options.webhooks ?? { endpoints: [] });
    this.play = undefined;
    if (options.auth !== undefined) {
      const authorizer = new Authorizer({ ...options.auth, now: sources.now });
      const access: IngestAccess = {
        authorize: (request) => authorizer.authorize(request).then((decision) => this.#noteRecord(request, decision)),
        denied: (d) => {
          const denial = { atMs: sources.now(), ...d };
          this.recentDenials.unshift(denial);
          this.recentDenials.length = Math.min(this.recentDenials.length, RECENT_DENIALS);
          server.emit('authDenied', denial);
        },
      };
      this.access = access;
      this.play = new PlayAuth(
        {
          authorize: (request) => authorizer.authorize(request),
          isOpen: (action, app) => authorizer.isOpen(action, app),
          denied: access.denied,
          now: sources.now,
          session: (event, v) => send(event === 'opened' ? 'session.opened' : 'session.closed', v.app, v.streamKey, { protocol: v.protocol, role: 'viewer', remoteAddress: v.remoteAddress, sessionId: v.id }),
        },
        options.auth.sessions,
      );
      // RTMP play: decided before the player is let in (the session waits).
      rtmp.on('play', (request) => {
        const ask = { action: 'play' as const, app: request.app, key: request.streamKey, protocol: 'rtmp' as const, ip: request.session.remoteAddress, query: request.query };
        request.waitFor(
          authorizer.authorize(ask).then((decision) => {
            if (decision.allow) return true;
            access.denied({ action: 'play', app: ask.app, key: ask.key, ip: ask.ip, reason: decision.reason });
            request.reject(`not authorized: ${decision.reason}`);
            return false;
          }),
        );
      });
    }
    const send = (type: Parameters<WebhookDispatcher['send']>[0], app: string, streamKey: string, data: Record<string, unknown> = {}): void => {
      this.events.send(type, { app, streamKey, ...data }, `${app}/${streamKey}`, sources.now());
    };
    server.on('publish', ({ app, streamKey }) => {
      send('stream.started', app, streamKey);
      send('session.opened', app, streamKey, { protocol: 'rtmp', role: 'publisher' });
    });
    server.on('unpublish', ({ app, streamKey }) => {
      send('session.closed', app, streamKey, { protocol: 'rtmp', role: 'publisher' });
      send('stream.ended', app, streamKey);
      this.#check(app, streamKey);
    });
    // Object storage (docs/storage.md): ordered per stream apart from its stream events, which a backlog of uploads must not hold up.
    server.on('upload', ({ outcome, app, streamKey, ...data }) => this.events.send(`upload.${outcome}`, { app, streamKey, ...data }, `upload/${app}/${streamKey}`, sources.now()));
    const players = new WeakMap<object, { app: string; streamKey: string; data: Record<string, unknown> }>();
    rtmp.on('playing', (player, request) => {
      const data = { protocol: 'rtmp', role: 'player', remoteAddress: request.session.remoteAddress };
      players.set(player, { app: request.app, streamKey: request.streamKey, data });
      send('session.opened', request.app, request.streamKey, data);
    });
    rtmp.on('stop', (_session, player) => {
      const known = players.get(player);
      if (known === undefined) return;
      players.delete(player);
      send('session.closed', known.app, known.streamKey, known.data);
    });
    this.#timer = setInterval(() => {
      try {
        for (const s of sources.streams()) this.#check(s.app, s.streamKey);
      } catch {
        // The watch reads figures the server keeps; one that cannot be read now is read at the next tick.
      }
    }, options.healthWatchMs ?? 2000);
    this.#timer.unref();
  }

  /**
   * `job.created` for a new live job, then `job.<state>` (job.waiting, job.running, job.stopped, job.failed) when its
   * state changes, and `job.deleted` when it goes: from the job store's own events, so the API's
   * changes and the runtime's (a publish, ffmpeg crashing) are told alike. Ordered per job.
   */
  watchJobs(jobs: Pick<EventEmitter<JobServiceEvents>, 'on'> | undefined): void {
    if (jobs === undefined) return;
    const states = new Map<string, string>();
    const send = (type: `job.${string}`, job: Job): void => {
      const data = { jobId: job.id, app: job.app, streamKey: job.streamKey, state: job.state, ...(job.lastError === undefined ? {} : { lastError: job.lastError.message }) };
      this.events.send(type, data, `job/${job.id}`, this.#sources.now());
    };
    // In a cluster every origin hears every job change; the one that made it tells it ('local'), so a
    // change is sent once, not once per origin.
    jobs.on('change', (job, origin) => {
      const previous = states.get(job.id);
      if (previous === job.state) return;
      states.set(job.id, job.state);
      if (origin === 'remote') return;
      // A job just made (not updated since) is told as created, whatever state it starts in.
      send(previous === undefined && job.updatedAtMs === job.createdAtMs ? 'job.created' : `job.${job.state}`, job);
    });
    jobs.on('delete', (job, origin) => {
      states.delete(job.id);
      if (origin !== 'remote') send('job.deleted', job);
    });
  }

  /**
   * `recording.started`, `recording.segment_completed`, `recording.completed` and `recording.failed`
   * (with its reason) from the server's 'recording' events (recorder.ts), ordered per stream.
   */
  watchRecordings(source: Pick<EventEmitter<MediaServerEvents>, 'on'>): void {
    source.on('recording', ({ type, app, streamKey, ...data }) => this.events.send(`recording.${type}`, { app, streamKey, ...data }, `recording/${app}/${streamKey}`, this.#sources.now()));
  }

  /** Whether the authorization of this publish asked for it to be recorded (once: the mark is taken). */
  takeRecordAsked(app: string, streamKey: string): boolean {
    return this.#recordAsked.delete(`${app}/${streamKey}`);
  }

  /** Stops the health watch and the webhook deliveries (queued events are dropped). */
  close(): void {
    clearInterval(this.#timer);
    this.play?.close();
    this.events.close();
  }

  #noteRecord(request: AuthRequest, decision: AuthDecision): AuthDecision {
    if (request.action !== 'publish') return decision;
    const name = `${request.app}/${decision.allow ? (decision.name ?? request.key) : request.key}`;
    this.#recordAsked.delete(name);
    if (!decision.allow || decision.record !== true) return decision;
    this.#recordAsked.add(name);
    if (this.#recordAsked.size > RECORD_ASKED_MAX) this.#recordAsked.delete(this.#recordAsked.values().next().value!);
    return decision;
  }

  /** `stream.health_changed` when a stream's status or its set of findings differs from the last check. */
  #check(app: string, streamKey: string): void {
    const report: HealthReport | undefined = this.#sources.health(app, streamKey);
    if (report === undefined || report.status === 'noData') return;
    const name = `${app}/${streamKey}`;
    const signature = `${report.status} ${report.findings.map((f) => `${f.type}:${f.severity}`).join(',')}`;
    const previous = this.#health.get(name);
    if (previous === signature) return;
    this.#health.set(name, signature);
    this.events.send('stream.health_changed', { app, streamKey, status: report.status, findings: report.findings }, name, this.#sources.now());
  }
}
