import type { StreamSummary } from '../http/index.js';
import type { HealthReport } from '../observability/index.js';
import type { DashboardSources } from './dashboard.js';

/**
 * The dashboard's server-sent events (docs/dashboard.md), behind GET /api/dashboard/events
 * (dashboard.ts): what a page gets every second, built once for every page.
 */

/**
 * Bounds on what one event and one page cost: an event lists at most MAX_EVENT_STREAMS streams (the
 * dashboard is for watching a few; `streamsLeftOut` says how many more) and MAX_EVENT_DENIALS
 * denials; at most MAX_DASHBOARD_PAGES pages are fed at once (each a few kB a second). The event is
 * built once a second for every page, and a page whose connection has not taken the last one (its
 * socket buffer full) skips events until it drains.
 */
const MAX_EVENT_STREAMS = 64;
const MAX_EVENT_DENIALS = 20;
export const MAX_DASHBOARD_PAGES = 32;
const EVENT_EVERY_MS = 1000;
/** Figures kept per stream for the graphs: five minutes at one a second (4 numbers each, at most MAX_EVENT_STREAMS streams). */
const HISTORY_POINTS = 300;
/** A comment line this often keeps proxies from timing the connection out even when no event can be built. */
const HEARTBEAT_EVERY_TICKS = 15;
/** EventSource's reconnection delay after a drop, ms (the `retry:` field, HTML § 9.2.6). */
const RECONNECT_MS = 3000;

/** What the feed writes to: an HTTP/1.1 or HTTP/2 response. */
interface EventSink {
  write(chunk: string): boolean;
  end(): void;
  once(event: 'drain', listener: () => void): unknown;
}

/** One stream in an event (docs/dashboard.md). */
interface StreamFigures {
  readonly app: string;
  readonly streamKey: string;
  readonly bitrateKbps: number;
  readonly frameRate: number | null;
  readonly keyframeIntervalSeconds: number | null;
  readonly uptimeSeconds: number;
  readonly video: StreamSummary['video'] | null;
  readonly audio: StreamSummary['audio'] | null;
  readonly playlist: string;
  readonly viewers: Readonly<Record<string, number>>;
  readonly health: HealthReport | null;
  /** Being recorded; null when recording is not configured (absent when the sources cannot tell). */
  readonly recording?: boolean | null;
}

/** What the page gets every second. */
interface DashboardEvent {
  readonly atMs: number;
  readonly rtmpPort: number | null;
  readonly segmentTargetSeconds: number;
  readonly streams: readonly StreamFigures[];
  readonly streamsLeftOut: number;
  readonly denials: ReturnType<DashboardSources['denials']>;
}

/** A stream's graphed figures, oldest first, at most HISTORY_POINTS. */
interface Series {
  readonly app: string;
  readonly streamKey: string;
  readonly atMs: number[];
  readonly bitrateKbps: number[];
  readonly frameRate: Array<number | null>;
  readonly keyframeIntervalSeconds: Array<number | null>;
}

/**
 * One timer for every connected page, running only while one is connected. It keeps the graphed
 * figures of the last HISTORY_POINTS ticks per live stream, so a page that connects (or reloads)
 * draws the last minutes at once: sent as one `history` event before the first figures.
 */
export class DashboardFeed {
  readonly #sources: DashboardSources;
  readonly #clients = new Map<EventSink, { congested: boolean }>();
  readonly #history = new Map<string, Series>();
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;

  constructor(sources: DashboardSources) {
    this.#sources = sources;
  }

  get full(): boolean {
    return this.#clients.size >= MAX_DASHBOARD_PAGES;
  }

  add(res: EventSink): void {
    this.#clients.set(res, { congested: false });
    const event = this.#event();
    this.#send(res, `retry: ${RECONNECT_MS}\n\n${event === undefined ? '' : this.#historyText(event)}${dataText(event)}`);
    this.#timer ??= setInterval(() => this.#tick(), EVENT_EVERY_MS);
  }

  remove(res: EventSink): void {
    this.#clients.delete(res);
    if (this.#clients.size > 0 || this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    for (const res of [...this.#clients.keys()]) {
      this.remove(res);
      res.end();
    }
  }

  #tick(): void {
    this.#ticks += 1;
    const event = this.#event();
    if (event !== undefined) this.#remember(event);
    const text = (this.#ticks % HEARTBEAT_EVERY_TICKS === 0 ? ': heartbeat\n\n' : '') + dataText(event);
    for (const res of this.#clients.keys()) this.#send(res, text);
  }

  #send(res: EventSink, text: string): void {
    const state = this.#clients.get(res);
    if (state === undefined || state.congested || text === '') return;
    if (res.write(text)) return;
    state.congested = true;
    res.once('drain', () => void (state.congested = false));
  }

  /** The event, or undefined when a source cannot be read now (nothing may throw out of the timer). */
  #event(): DashboardEvent | undefined {
    try {
      return dashboardEvent(this.#sources);
    } catch {
      return undefined;
    }
  }

  #remember(event: DashboardEvent): void {
    const live = new Set<string>();
    for (const s of event.streams) {
      const id = `${s.app}/${s.streamKey}`;
      live.add(id);
      let series = this.#history.get(id);
      if (series === undefined) this.#history.set(id, (series = { app: s.app, streamKey: s.streamKey, atMs: [], bitrateKbps: [], frameRate: [], keyframeIntervalSeconds: [] }));
      series.atMs.push(event.atMs);
      series.bitrateKbps.push(s.bitrateKbps);
      series.frameRate.push(s.frameRate);
      series.keyframeIntervalSeconds.push(s.keyframeIntervalSeconds);
      if (series.atMs.length > HISTORY_POINTS) for (const values of [series.atMs, series.bitrateKbps, series.frameRate, series.keyframeIntervalSeconds]) values.shift();
    }
    for (const id of this.#history.keys()) if (!live.has(id)) this.#history.delete(id);
  }

  /** The live streams' figures of the last HISTORY_POINTS seconds (older ones are from before the feed last idled). */
  #historyText(event: DashboardEvent): string {
    const since = event.atMs - HISTORY_POINTS * EVENT_EVERY_MS;
    const streams = event.streams.flatMap((s) => {
      const series = this.#history.get(`${s.app}/${s.streamKey}`);
      if (series === undefined) return [];
      const from = series.atMs.findIndex((t) => t >= since);
      if (from < 0) return [];
      const recent = <T>(values: T[]): T[] => values.slice(from);
      return [{ ...series, atMs: recent(series.atMs), bitrateKbps: recent(series.bitrateKbps), frameRate: recent(series.frameRate), keyframeIntervalSeconds: recent(series.keyframeIntervalSeconds) }];
    });
    return `event: history\ndata: ${JSON.stringify({ streams })}\n\n`;
  }
}

function dataText(event: DashboardEvent | undefined): string {
  return event === undefined ? '' : `data: ${JSON.stringify(event)}\n\n`;
}

function dashboardEvent(sources: DashboardSources): DashboardEvent {
  const summaries = sources.streams();
  const shown = summaries.slice(0, MAX_EVENT_STREAMS);
  return {
    atMs: sources.now(),
    rtmpPort: rtmpPortOf(sources) ?? null,
    segmentTargetSeconds: sources.segmentTargetSeconds?.() ?? 2,
    streams: shown.map((s) => {
      const health = sources.health(s.app, s.streamKey);
      return {
        app: s.app,
        streamKey: s.streamKey,
        bitrateKbps: s.bitrateKbps,
        // Measured from the timestamps when the analyzer has a window, else what the hub or onMetaData says.
        frameRate: health?.measures.frameRate ?? s.video?.frameRate ?? null,
        keyframeIntervalSeconds: health?.measures.keyframeIntervalSeconds ?? null,
        uptimeSeconds: s.uptimeSeconds,
        video: s.video ?? null,
        audio: s.audio ?? null,
        playlist: s.playlist,
        viewers: sources.viewers?.(s.app, s.streamKey) ?? summaryViewers(s),
        health: health === undefined ? null : { status: health.status, findings: health.findings, measures: health.measures },
        ...(sources.recording === undefined ? {} : { recording: sources.recording(s.app, s.streamKey) ?? null }),
      };
    }),
    streamsLeftOut: summaries.length - shown.length,
    denials: sources.denials().slice(0, MAX_EVENT_DENIALS).map((d) => ({ ...d, key: shownKey(d.action, d.key) })),
  };
}

/** The RTMP port, undefined when unknown (a server not listening yet may throw). */
function rtmpPortOf(sources: DashboardSources): number | undefined {
  try {
    return sources.rtmpPort();
  } catch {
    return undefined;
  }
}

/** A summary's viewer counts, if it has them: a number, or counts by protocol. */
function summaryViewers(s: StreamSummary): Record<string, number> {
  const viewers = (s as { viewers?: unknown }).viewers;
  if (typeof viewers === 'number') return { total: viewers };
  if (typeof viewers !== 'object' || viewers === null) return {};
  return Object.fromEntries(Object.entries(viewers).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

/** A refused publish key may be a mistyped secret: its start and length only, as `tidecast serve` logs it. */
function shownKey(action: string, key: string): string {
  return action === 'publish' ? `${key.slice(0, 2)}…(${key.length} chars)` : key.slice(0, 200);
}
