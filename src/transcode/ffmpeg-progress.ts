/**
 * ffmpeg's `-progress pipe:N` report, parsed as it arrives. ffmpeg (fftools/ffmpeg.c print_report)
 * writes one `key=value` line per item and ends each block, every -stats_period (0.5 s by default)
 * and once at the end, with `progress=continue` or `progress=end`. A block of ffmpeg 5.1.9 with one
 * encoded output:
 *
 *     frame=16                      frames of the first video stream written so far
 *     fps=0.00                      its rate over the run
 *     stream_0_0_q=17.0             output file 0, stream 0: the encoder's quantizer (-1.0 once flushed)
 *     bitrate= 309.1kbits/s         padded with spaces; N/A while the size is unknown (pipes, -f null)
 *     total_size=14218              bytes written; N/A for -f null
 *     out_time_us=368000
 *     out_time_ms=368000            microseconds too, despite its name: ignored
 *     out_time=00:00:00.368000      out_time_us as text: ignored
 *     dup_frames=0
 *     drop_frames=0
 *     speed=0.732x                  N/A before the first measure; padded (`speed=   0x`)
 *     progress=continue
 *
 * Keys other versions add are ignored, so a newer ffmpeg never breaks the supervisor.
 */

/** One completed block. A key ffmpeg reported as N/A, or did not report, is absent. */
export interface FfmpegProgress {
  readonly frame?: number;
  readonly fps?: number;
  /** Encoding speed as a multiple of real time: `1.02x` is 1.02; a live ladder keeps it near 1. */
  readonly speed?: number;
  readonly outTimeUs?: number;
  readonly bitrateKbps?: number;
  /** Bytes written to all outputs. */
  readonly totalSize?: number;
  readonly dupFrames?: number;
  readonly dropFrames?: number;
  /** `stream_F_S_q`: the quantizer of output file F's stream S, in report order. */
  readonly streams: ReadonlyArray<{ readonly file: number; readonly stream: number; readonly q: number }>;
  /** `progress=end`: the last block, written after ffmpeg flushed every output. */
  readonly end: boolean;
}

/**
 * A progress line is under 40 characters (the longest, `out_time=-2562047788:00:54.775807`, is 33);
 * a longer one is not ffmpeg's report, and a value cut at the cap would be a wrong number, so the
 * line is dropped whole.
 */
export const MAX_PROGRESS_LINE_CHARS = 256;

/** stream_F_S_q entries kept per block: ffmpeg reports one per encoded stream, a ladder has under 16. */
export const MAX_PROGRESS_STREAMS = 64;

const LF = 0x0a;
const CR = 0x0d;
const STREAM_Q_KEY = /^stream_(\d+)_(\d+)_q$/;

type NumericField = 'frame' | 'fps' | 'speed' | 'outTimeUs' | 'bitrateKbps' | 'totalSize' | 'dupFrames' | 'dropFrames';

/** The numeric keys, their field and the unit ffmpeg appends to the value. */
const NUMERIC_KEYS = new Map<string, { readonly field: NumericField; readonly unit: string }>([
  ['frame', { field: 'frame', unit: '' }],
  ['fps', { field: 'fps', unit: '' }],
  ['speed', { field: 'speed', unit: 'x' }],
  ['out_time_us', { field: 'outTimeUs', unit: '' }],
  ['bitrate', { field: 'bitrateKbps', unit: 'kbits/s' }],
  ['total_size', { field: 'totalSize', unit: '' }],
  ['dup_frames', { field: 'dupFrames', unit: '' }],
  ['drop_frames', { field: 'dropFrames', unit: '' }],
]);

type ProgressDraft = { -readonly [K in keyof FfmpegProgress]: FfmpegProgress[K] } & {
  streams: Array<{ readonly file: number; readonly stream: number; readonly q: number }>;
};

/**
 * Splits a byte stream into text lines for the progress parser and the stderr tail: resumable over
 * chunks cut anywhere (inside a line, a CRLF or a UTF-8 sequence, which TextDecoder's stream mode
 * holds back until its last byte arrives). A line longer than `maxLineChars` is cut there, the rest
 * skipped up to its end, and reported as truncated: memory stays bounded whatever the child prints.
 *
 * A lone CR is what a terminal makes of it: ffmpeg redraws its status line with `\r`, so text after
 * a CR replaces the line so far, and only the last draw becomes a line. Feed one kind of chunk
 * (bytes or strings) per splitter: a string cannot complete a byte sequence held back.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private pending = '';
  private truncated = false;
  private afterCr = false;

  constructor(private readonly maxLineChars: number) {}

  push(chunk: Uint8Array | string, onLine: (line: string, truncated: boolean) => void): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      this.append(text, start, i);
      start = i + 1;
      if (c === CR) this.afterCr = true;
      else this.emit(onLine);
    }
    this.append(text, start, text.length);
  }

  /** The input ended: a last line without its newline is still a line. */
  end(onLine: (line: string, truncated: boolean) => void): void {
    const held = this.decoder.decode();
    this.append(held, 0, held.length);
    if (this.pending !== '' || this.truncated) this.emit(onLine);
    this.afterCr = false;
  }

  private append(text: string, from: number, to: number): void {
    if (to <= from) return;
    if (this.afterCr) this.clear();
    const room = this.maxLineChars - this.pending.length;
    if (to - from > room) {
      this.pending += text.slice(from, from + room);
      this.truncated = true;
    } else {
      this.pending += text.slice(from, to);
    }
  }

  private emit(onLine: (line: string, truncated: boolean) => void): void {
    const line = this.pending;
    const truncated = this.truncated;
    this.clear();
    onLine(line, truncated);
  }

  private clear(): void {
    this.pending = '';
    this.truncated = false;
    this.afterCr = false;
  }
}

/**
 * `push` the bytes of ffmpeg's progress pipe as they come; each call returns the blocks it
 * completed (usually none or one). A block cut off by the process's end is never returned.
 */
export class FfmpegProgressParser {
  private readonly lines = new LineSplitter(MAX_PROGRESS_LINE_CHARS);
  private draft: ProgressDraft = { streams: [], end: false };

  push(chunk: Uint8Array | string): FfmpegProgress[] {
    const completed: FfmpegProgress[] = [];
    this.lines.push(chunk, (line, truncated) => {
      if (!truncated) this.line(line, completed);
    });
    return completed;
  }

  private line(line: string, completed: FfmpegProgress[]): void {
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    const d = this.draft;
    if (key === 'progress') {
      d.end = value === 'end';
      completed.push(d);
      this.draft = { streams: [], end: false };
      return;
    }
    const numeric = NUMERIC_KEYS.get(key);
    if (numeric !== undefined) {
      const n = numberValue(numeric.unit === '' ? value : withoutSuffix(value, numeric.unit));
      if (n !== undefined) d[numeric.field] = n;
      return;
    }
    const stream = STREAM_Q_KEY.exec(key);
    const q = numberValue(value);
    if (stream === null || q === undefined || d.streams.length >= MAX_PROGRESS_STREAMS) return;
    d.streams.push({ file: Number(stream[1]), stream: Number(stream[2]), q });
  }
}

/** A finite number, or undefined for N/A, an empty value or anything else ffmpeg did not mean as one. */
function numberValue(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** `309.1kbits/s` → `309.1`; a value without the unit (N/A) is not a number of that unit. */
function withoutSuffix(value: string, suffix: string): string | undefined {
  return value.endsWith(suffix) ? value.slice(0, -suffix.length).trimEnd() : undefined;
}
