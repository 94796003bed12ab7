import { MediaError, type TidecastError } from '../errors/index.js';
import { resolveLiveOptions } from '../hls/index.js';
import type { StreamSummary } from '../http/index.js';
import type { HealthReport } from '../observability/index.js';
import { registerControlApi } from './control-api.js';
import { redactConfig } from './control-api-config.js';
import { ApiSessions } from './control-api-sessions.js';
import { dashboardApiRoutes, registerDashboardPage } from './dashboard.js';
import { recordingsApiRoutes } from './recordings-api.js';
import { clusterApiRoutes } from './cluster-api.js';
import { registerRecordingFiles } from './recordings-files.js';
import type { MediaServer } from './media-server.js';
import type { MediaServerOptions } from './media-server-options.js';

/** What only the composition root holds: the streams' summaries and the RTMP ingest's health and kick. */
export interface ControlApiIngest {
  streams(): StreamSummary[];
  health(app: string, key: string): HealthReport | undefined;
  kick(app: string, key: string, error: TidecastError): boolean;
}

/**
 * The control API (control-api.ts) and the dashboard (dashboard.ts) on a MediaServer's HTTP
 * server: the page at `/`, and under /api the streams, sessions, configuration, denials, the job
 * routes (when jobs are configured) and the dashboard's events, all behind the API's authentication.
 * Called once the server's parts exist; the routes are added when fastify starts (listen).
 */
export function wireControlApi(server: MediaServer, options: MediaServerOptions, ingest: ControlApiIngest): void {
  const now = options.now ?? Date.now;
  const sessions = new ApiSessions(server.rtmp, server.hub, { now, viewers: () => server.control.play?.viewers() ?? [] });
  const hls = resolveLiveOptions(options.hls);
  const health = (app: string, key: string): HealthReport | undefined => ingest.health(app, key);
  const denials = (): MediaServer['control']['recentDenials'] => server.control.recentDenials;
  const jobs = server.transcoding.jobRoutes();
  const dashboard = dashboardApiRoutes({
    streams: () => ingest.streams(),
    health,
    denials,
    rtmpPort: () => listeningPort(server),
    now,
    viewers: (app, key) => sessions.viewers(app, key),
    segmentTargetSeconds: () => hls.segmentTargetSeconds,
    recording: (app, key) => server.recording?.isRecording(app, key),
  });
  registerDashboardPage(server.http);
  // Recordings (recordings-*.ts): their files at /recordings/ (play authorization as live), their API under /api.
  registerRecordingFiles(server.http, { dir: () => server.recording?.dir, ...(server.control.play === undefined ? {} : { play: server.control.play }) });
  const recordings = recordingsApiRoutes({ recording: () => server.recording });
  registerControlApi(server.http, {
    ...(options.api === undefined ? {} : { api: options.api }),
    now,
    streams: () => ingest.streams(),
    health,
    kickStream: (app, key) => ingest.kick(app, key, new MediaError('ERR_MEDIA_KICKED', `${app}/${key} was ended through the control API`, { app, streamKey: key })),
    sessions,
    config: () => ({ settings: server.settings, rtmp: redactConfig(server.rtmp.settings), hls: redactConfig(hls), options: redactConfig(options) }),
    denials,
    routes: [...(jobs === undefined ? [] : [jobs]), dashboard, recordings, clusterApiRoutes({ registry: () => server.cluster?.registry })],
  });
}

/** The RTMP port once the server listens, else undefined. */
function listeningPort(server: MediaServer): number | undefined {
  try {
    return server.rtmp.address().port;
  } catch {
    return undefined;
  }
}
