/**
 * What the stream-health analyzer reports (docs/health.md): findings modelled on YouTube Live's
 * machine-readable configuration issues (`liveStream.status.healthStatus.configurationIssues`),
 * each with the measured value, the value the server expects, and the encoder setting that fixes it.
 */

export type HealthFindingType =
  | 'gopLongerThanSegment'
  | 'gopIrregular'
  | 'bFramesPresent'
  | 'variableFrameRate'
  | 'frameRateLow'
  | 'timestampJump'
  | 'timestampBackwards'
  | 'audioGap'
  | 'audioOverlap'
  | 'avDrift'
  | 'bitrateSpike'
  | 'codecUnsupported'
  | 'missingSequenceHeader'
  | 'noAudioStream'
  | 'noVideoStream';

/** `error`: viewers see it (stalls, no picture); `warning`: latency or quality suffers; `info`: worth knowing. */
export type HealthSeverity = 'error' | 'warning' | 'info';

export interface HealthFinding {
  readonly type: HealthFindingType;
  readonly severity: HealthSeverity;
  /** What was measured, in words and units, e.g. "10.0 s between keyframes". */
  readonly actual: string;
  /** What the server expects, e.g. "2 s (the segment target)". */
  readonly expected: string;
  /** The setting that fixes it, naming OBS's (and ffmpeg's) option. */
  readonly advice: string;
}

/**
 * YouTube's health statuses: `good` (nothing found), `ok` (warnings or notes only), `bad` (an
 * error), `noData` (too little media yet to judge).
 */
export type HealthStatus = 'good' | 'ok' | 'bad' | 'noData';

/** What the analyzer measured over its window, for the API, the metrics and the dashboard graphs. */
export interface HealthMeasures {
  /** Seconds of media the window holds (by arrival). */
  readonly windowSeconds: number;
  /** Video frames per second (by timestamps), undefined without video. */
  readonly frameRate: number | undefined;
  /** Keyframe interval: the longest in the window, seconds; undefined before two keyframes. */
  readonly keyframeIntervalSeconds: number | undefined;
  /** Audio plus video payload, bits per second over the window. */
  readonly bitsPerSecond: number;
  /** The largest composition offset (B-frame reordering), ms. */
  readonly maxCompositionOffsetMs: number;
}

export interface HealthReport {
  readonly status: HealthStatus;
  readonly findings: readonly HealthFinding[];
  readonly measures: HealthMeasures;
}

const SEVERITY_RANK: Record<HealthSeverity, number> = { error: 0, warning: 1, info: 2 };

/** Findings in the order a streamer should read them: errors first, then by type. */
export function sortFindings(findings: readonly HealthFinding[]): HealthFinding[] {
  return [...findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.type.localeCompare(b.type));
}

/** The status of a set of findings (with enough media to judge). */
export function statusOf(findings: readonly HealthFinding[]): HealthStatus {
  if (findings.some((f) => f.severity === 'error')) return 'bad';
  return findings.length > 0 ? 'ok' : 'good';
}
