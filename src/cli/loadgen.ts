import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { invalidOption } from '../config/index.js';
import { HttpPool } from './loadgen-http.js';
import { recordingOf, ReplayPublisher, type PublisherStats } from './loadgen-publisher.js';
import { LoadRecorder, type LoadSummary } from './loadgen-stats.js';
import { runViewer, sleep, type AnswerTiming } from './loadgen-viewer.js';

/**
 * The load generator (`tidecast loadgen`, bench/loadgen.ts, test/cli/loadgen.test.ts): M real-time
 * publishers replaying an FLV recording over RTMP and N virtual LL-HLS viewers (loadgen-viewer.ts),
 * started one after another over the ramp, all stopped after the duration. It lives in src/cli, not
 * bench/, because the CLI runs from dist/ and the build compiles src/ only; bench/ calls it.
 */

export interface LoadgenOptions {
  /** The multivariant (or media) playlist the viewers play; `{i}` becomes the stream's index (viewer i watches stream i mod publishers). */
  readonly url: string;
  readonly viewers: number;
  /** From the start of the first viewer to the stop of all. */
  readonly durationSeconds: number;
  /** Viewers start evenly spread over this time (independent players do not start in step). */
  readonly rampSeconds: number;
  readonly publishers: number;
  /** rtmp://host:port/app/key; `{i}` becomes the publisher's index (`-{i}` is added to the key when there are several and it has none). */
  readonly publishUrl?: string;
  /** The FLV recording the publishers replay. */
  readonly file?: string;
  /** Publishers publish again when their connection is lost (ReplayPublisher). Default false. */
  readonly reconnect?: boolean;
  /** Per request; default DEFAULT_REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number;
  /** Ends the run early (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Each recorded answer's URL, kind, status and times (ViewerOptions.onAnswer); the CLI does not set it. */
  readonly onAnswer?: (answer: AnswerTiming) => void;
}

/**
 * 15 s: above the three target durations (6 s for 2 s segments) a server holds a blocking request
 * before it answers 503 (RFC 8216bis 6.2.5.2), with room for targets up to 4 s.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export interface LoadgenReport extends LoadSummary {
  readonly publishers: readonly PublisherStats[];
}

/** Checks the options: ERR_CONFIG_INVALID naming the one that is wrong. */
export function checkLoadgenOptions(o: LoadgenOptions): void {
  const whole = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw invalidOption(name, `a whole number ≥ ${min}`, String(v));
  };
  whole('--viewers', o.viewers, 0);
  whole('--publishers', o.publishers, 0);
  if (!(o.durationSeconds > 0)) throw invalidOption('--duration', 'seconds > 0', String(o.durationSeconds));
  if (!(o.rampSeconds >= 0) || o.rampSeconds >= o.durationSeconds) throw invalidOption('--ramp', 'seconds ≥ 0 and below --duration', String(o.rampSeconds));
  if (!/^https?:\/\//.test(o.url)) throw invalidOption('--url', 'an http:// or https:// playlist URL', o.url);
  if (o.publishers > 0 && (o.publishUrl === undefined || !/^rtmps?:\/\//.test(o.publishUrl))) throw invalidOption('--publish-url', 'an rtmp:// URL when --publishers > 0', String(o.publishUrl));
  if (o.publishers > 0 && o.file === undefined) throw invalidOption('--file', 'an FLV recording when --publishers > 0', 'none');
}

/** `{i}` in `template` → `i`; for several publishers without `{i}`, `-i` after the stream key. */
export function indexedUrl(template: string, i: number, count: number): string {
  if (template.includes('{i}')) return template.replaceAll('{i}', String(i));
  return count > 1 && template.startsWith('rtmp') ? `${template}-${i}` : template;
}

/** Runs the publishers and the viewers; resolves with the summary once every one has stopped. */
export async function runLoadgen(o: LoadgenOptions): Promise<LoadgenReport> {
  checkLoadgenOptions(o);
  const stop = new AbortController();
  // Every request in flight listens to it (AbortSignal.any): thousands, not a leak.
  setMaxListeners(0, stop.signal);
  const onAbort = (): void => stop.abort();
  o.signal?.addEventListener('abort', onAbort);
  const publishers: ReplayPublisher[] = [];
  const pool = new HttpPool();
  try {
    if (o.publishers > 0) {
      const recording = recordingOf(await readFile(o.file!));
      for (let i = 0; i < o.publishers; i++) publishers.push(await ReplayPublisher.start(indexedUrl(o.publishUrl!, i, o.publishers), recording, stop.signal, { reconnect: o.reconnect ?? false }));
    }
    const recorder = new LoadRecorder();
    const streams = Math.max(1, o.publishers);
    const startedAt = Date.now();
    const timer = setTimeout(() => stop.abort(), o.durationSeconds * 1000);
    const viewers = Array.from({ length: o.viewers }, async (_, i) => {
      await sleep((o.rampSeconds * 1000 * i) / Math.max(1, o.viewers), stop.signal);
      if (stop.signal.aborted) return;
      await runViewer({ url: indexedUrl(o.url, i % streams, streams), recorder, pool, signal: stop.signal, requestTimeoutMs: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, ...(o.onAnswer === undefined ? {} : { onAnswer: o.onAnswer }) });
    });
    await Promise.all(viewers);
    clearTimeout(timer);
    stop.abort();
    await Promise.all(publishers.map((p) => p.done));
    const summary = recorder.summary({ url: o.url, durationSeconds: Math.round((Date.now() - startedAt) / 100) / 10, viewers: o.viewers });
    return { ...summary, publishers: publishers.map((p) => ({ ...p.stats })) };
  } finally {
    stop.abort();
    pool.destroy();
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.allSettled(publishers.map((p) => p.done));
  }
}
