import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { parseArgs } from 'node:util';
import { loadConfigFile } from './config-file.js';
import { HELP } from './help.js';
import {
  SERVER_CONFIG_FIELDS,
  SERVER_CONFIG_KEYS,
  configLayerFromEnv,
  configLayerFromStrings,
  resolveServerConfig,
  type ServerConfig,
  type ServerConfigKey,
  type ServerConfigLayer,
} from './server-config.js';
import { ConfigError } from '../errors/index.js';
import { createMediaServer, tuneHeapGrowing, type MediaServerOptions } from '../server/index.js';
import { createLogger, logServerEvents, logStreamCounters, publicHost, settingsBlock } from './serve-output.js';
import { readLadderChoice } from './ladder-config.js';
import { controlPlaneOptions, describeAuth } from './control-options.js';
import { recordOptions } from './record-config.js';
import { clusterOptions } from './cluster-config.js';
import { JsonFileJobStore, RedisJobStore } from '../transcode/index.js';
import { internalHttpOptions, startHttpWorkers, type HttpWorkers } from '../server/http-workers.js';
import type { LadderChoice } from '../server/index.js';
import type { JobsOptions } from '../server/job-runtime.js';
import { DEFAULT_REGISTRY_PREFIX } from '../cluster/index.js';

export { HELP };

/**
 * A bound on the graceful shutdown: closing waits for sessions and HTTP connections; a client that
 * never lets go must not keep the process alive after SIGTERM (systemd and Docker send SIGKILL at 10 s).
 */
export const SHUTDOWN_TIMEOUT_MS = 8_000;

/** Flags → settings, with the environment and the config file beneath them. */
export async function serveConfig(args: string[], env: Readonly<Record<string, string | undefined>>): Promise<{ config: ServerConfig; help: boolean }> {
  // One string flag per setting (`--rtmp-port` …), named by SERVER_CONFIG_FIELDS.
  const settingFlags = Object.fromEntries(SERVER_CONFIG_KEYS.map((key) => [SERVER_CONFIG_FIELDS[key].flag.slice(2), { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options: { ...settingFlags, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    // node:util's own errors (ERR_PARSE_ARGS_UNKNOWN_OPTION, …): a usage error, said as one.
    throw new ConfigError('ERR_CONFIG_INVALID', `${(err as Error).message}; see tidecast --help`, { option: 'arguments', value: args.join(' ') }, { cause: err });
  }
  const strings: Partial<Record<ServerConfigKey, string>> = {};
  for (const key of SERVER_CONFIG_KEYS) {
    const value = values[SERVER_CONFIG_FIELDS[key].flag.slice(2)];
    if (typeof value === 'string') strings[key] = value;
  }
  const flags = configLayerFromStrings(strings, 'flag');
  const file: ServerConfigLayer = typeof values['config'] === 'string' ? await loadConfigFile(values['config']) : {};
  return { config: resolveServerConfig({ flags, env: configLayerFromEnv(env, file), file }), help: values['help'] === true };
}

/** PEM certificate chain and private key, as `http.tls` takes them. */
export interface TlsPem {
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads `tlsCert` and `tlsKey` (undefined when they are not set) and checks that they make a TLS
 * context: an unreadable file, a file that is not PEM, or a key that is not the certificate's is
 * ERR_CONFIG_INVALID naming the setting, at start rather than at the first client's handshake.
 * The only I/O of the settings besides the config file: resolution itself stays pure.
 */
export async function readTlsFiles(config: Pick<ServerConfig, 'tlsCert' | 'tlsKey'>): Promise<TlsPem | undefined> {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  const [cert, key] = await Promise.all([readSetting('tlsCert', config.tlsCert), readSetting('tlsKey', config.tlsKey)]);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const reason = (err as Error).message;
    throw new ConfigError('ERR_CONFIG_INVALID', `options tlsCert and tlsKey: ${config.tlsCert} and ${config.tlsKey} are not a PEM certificate and its private key (${reason})`, { option: 'tlsCert', value: config.tlsCert }, { cause: err });
  }
  return { cert, key };
}

async function readSetting(option: 'tlsCert' | 'tlsKey', path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError('ERR_CONFIG_INVALID', `option ${option} (${SERVER_CONFIG_FIELDS[option].flag}): cannot read ${path} (${reason})`, { option, value: path }, { cause: err });
  }
}

/**
 * Settings → server options; `tls`, read by `readTlsFiles`, makes HTTP delivery HTTPS. The part
 * target is passed only with LL-HLS on: without it the packager keeps its own fragment default.
 * The control-plane sections (auth, webhooks, api, metrics) are passed only when the file or the
 * environment gives them (control-options.ts).
 */
export function mediaServerOptions(config: ServerConfig, tls?: TlsPem, ladder?: LadderChoice): MediaServerOptions {
  return {
    jobs: jobsOptions(config),
    ...(ladder === undefined ? {} : { transcode: { ladder } }),
    rtmp: {
      port: config.rtmpPort,
      host: config.host,
      maxConnections: config.rtmpMaxConnections,
      maxConnectionsPerAddress: config.rtmpMaxConnectionsPerAddress,
      noStreamTimeoutMs: config.rtmpNoStreamTimeoutMs,
      maxOutgoingBufferBytes: config.rtmpMaxOutgoingBytes,
      maxStreamsPerSession: config.rtmpMaxStreamsPerSession,
      maxTotalPendingBytes: config.rtmpMaxTotalPendingBytes,
      chunk: { maxPendingBytes: config.rtmpMaxPendingBytes },
      proxyProtocol: config.rtmpProxyProtocol,
      proxyProtocolTrusted: config.rtmpProxyProtocolTrusted.split(',').map((entry) => entry.trim()),
    },
    http: {
      port: config.httpPort,
      host: config.host,
      maxConnections: config.httpMaxConnections,
      maxConnectionsPerAddress: config.httpMaxConnectionsPerAddress,
      ...(tls === undefined ? {} : { tls }),
    },
    memoryStore: { maxBytes: config.storeMaxBytes },
    maxKeyframeIntervalMs: config.maxKeyframeIntervalMs,
    maxBytesWithoutKeyframe: config.maxBytesWithoutKeyframe,
    endedRetentionMs: config.endedRetentionMs,
    hls: {
      segmentTargetSeconds: config.segmentDuration,
      ...(config.dvrWindow > 0 ? { dvrWindowSeconds: config.dvrWindow } : { windowSegments: config.windowSegments }),
      lowLatency: config.lowLatency,
      ...(config.lowLatency ? { partTargetSeconds: config.partDuration } : {}),
    },
    endGraceMs: config.endGraceMs,
    rtmpPlay: { absoluteTimestamps: config.rtmpPlayAbsoluteTimestamps },
    ...controlPlaneOptions(config),
    ...recordOptions(config),
    ...clusterOptions(config),
  };
}

/**
 * Where live jobs persist (docs/jobs.md "Persistence and restarts"): `redis` when it is set; else,
 * in a cluster (the `cluster` section), the cluster's Redis under its prefix (`<prefix>jobs`), so
 * one setting makes jobs cluster-wide; else the JSON file `jobsFile`. In a cluster the store is
 * shared: every origin sees every job, and a job's running state is its runner's (job-runtime.ts).
 */
export function jobsOptions(config: Pick<ServerConfig, 'redis' | 'jobsFile' | 'cluster'>): JobsOptions {
  const shared = config.cluster === undefined ? {} : { shared: true };
  if (config.redis !== 'off') return { store: new RedisJobStore({ url: config.redis }), ...shared };
  if (config.cluster !== undefined) return { store: new RedisJobStore({ url: config.cluster.redisUrl, prefix: config.cluster.prefix ?? DEFAULT_REGISTRY_PREFIX }), shared: true };
  return { store: new JsonFileJobStore(config.jobsFile) };
}

export async function serve(args: string[]): Promise<void> {
  const { config, help } = await serveConfig(args, process.env);
  if (help) {
    console.log(HELP);
    return;
  }
  const tls = await readTlsFiles(config);
  const ladder = await readLadderChoice(config.ladder);
  const log = createLogger(process.env, process.stdout.isTTY === true);
  tuneHeapGrowing(config.heapGrowingPercent);
  const options = mediaServerOptions(config, tls, ladder);
  // --http-workers: the media server's HTTP on an internal loopback port, the workers on the public one.
  const server = createMediaServer(config.httpWorkers > 0 ? { ...options, http: internalHttpOptions(options.http) } : options);
  logServerEvents(server, log);
  logStreamCounters(server, log);
  const { rtmp, http } = await server.listen();
  let workers: HttpWorkers | undefined;
  if (config.httpWorkers > 0) {
    const limits = { maxConnections: config.httpMaxConnections, maxConnectionsPerAddress: config.httpMaxConnectionsPerAddress };
    try {
      workers = await startHttpWorkers({ count: config.httpWorkers, upstreamPort: http.port, host: config.host, port: config.httpPort, ...limits, log });
    } catch (err) {
      await server.close();
      throw err;
    }
    log.info({ httpWorkers: workers.count, workerPids: workers.pids(), httpPort: workers.port, internalHttpPort: http.port }, `HTTP: ${workers.count} worker processes on port ${workers.port}, collapsing requests to the media server on 127.0.0.1:${http.port}`);
  }
  const httpPort = workers?.port ?? http.port;
  if (ladder !== undefined) {
    if (server.ladders.off !== undefined) log.warn({ ladder: config.ladder }, server.ladders.off);
    else log.info({ ladder: config.ladder, ffmpeg: server.ladders.ffmpeg?.path }, `ABR ladder ${config.ladder}: transcoding with ${server.ladders.ffmpeg?.path}`);
  }
  const auth = describeAuth(config.auth);
  const features = { tls: tls !== undefined, lowLatency: config.lowLatency, partDuration: config.partDuration, ...(auth === undefined ? {} : { auth }) };
  process.stdout.write(settingsBlock({ host: config.host, rtmpPort: rtmp.port, httpPort }, publicHost(config.host), features) + '\n');
  log.info(
    {
      rtmpPort: rtmp.port,
      httpPort,
      host: config.host,
      segmentDuration: config.segmentDuration,
      lowLatency: config.lowLatency,
      partDuration: config.lowLatency ? config.partDuration : undefined,
      tls: tls !== undefined,
      auth: config.auth !== undefined,
      ...(workers === undefined ? {} : { httpWorkers: workers.count, workerPids: workers.pids(), internalHttpPort: http.port }),
    },
    'listening',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    // The workers first (no new requests reach the server), then the server.
    (workers?.close() ?? Promise.resolve()).then(() => server.close()).then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
