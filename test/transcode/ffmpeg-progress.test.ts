import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FfmpegProgressParser, LineSplitter, MAX_PROGRESS_LINE_CHARS, MAX_PROGRESS_STREAMS, type FfmpegProgress } from '../../src/transcode/ffmpeg-progress.js';

/**
 * The -progress parser against transcripts recorded from ffmpeg 5.1.9 (Debian 12), then the same
 * bytes fed in every chunking: each single split point, and random multi-way splits.
 */

/**
 * `ffmpeg -hide_banner -nostdin -re -f lavfi -i testsrc=size=320x240:rate=30 -t 1 -c:v libx264
 * -preset ultrafast -b:v 300k -f flv out.flv -y -progress pipe:1`: four blocks, bitrate and speed set.
 */
const ONE_OUTPUT_TRANSCRIPT = [
  'frame=1', 'fps=0.00', 'stream_0_0_q=0.0', 'bitrate=N/A', 'total_size=275', 'out_time_us=0', 'out_time_ms=0', 'out_time=00:00:00.000000', 'dup_frames=0', 'drop_frames=0', 'speed=N/A', 'progress=continue',
  'frame=16', 'fps=0.00', 'stream_0_0_q=17.0', 'bitrate= 309.1kbits/s', 'total_size=14218', 'out_time_us=368000', 'out_time_ms=368000', 'out_time=00:00:00.368000', 'dup_frames=0', 'drop_frames=0', 'speed=0.732x', 'progress=continue',
  'frame=30', 'fps=29.72', 'stream_0_0_q=14.0', 'bitrate= 244.2kbits/s', 'total_size=25454', 'out_time_us=834000', 'out_time_ms=834000', 'out_time=00:00:00.834000', 'dup_frames=0', 'drop_frames=0', 'speed=0.826x', 'progress=continue',
  'frame=30', 'fps=29.67', 'stream_0_0_q=-1.0', 'bitrate= 239.1kbits/s', 'total_size=28926', 'out_time_us=968000', 'out_time_ms=968000', 'out_time=00:00:00.968000', 'dup_frames=0', 'drop_frames=0', 'speed=0.958x', 'progress=end',
].map((line) => line + '\n').join(''); // prettier-ignore

const ONE_OUTPUT_BLOCKS: FfmpegProgress[] = [
  { frame: 1, fps: 0, streams: [{ file: 0, stream: 0, q: 0 }], totalSize: 275, outTimeUs: 0, dupFrames: 0, dropFrames: 0, end: false },
  { frame: 16, fps: 0, streams: [{ file: 0, stream: 0, q: 17 }], bitrateKbps: 309.1, totalSize: 14218, outTimeUs: 368000, dupFrames: 0, dropFrames: 0, speed: 0.732, end: false },
  { frame: 30, fps: 29.72, streams: [{ file: 0, stream: 0, q: 14 }], bitrateKbps: 244.2, totalSize: 25454, outTimeUs: 834000, dupFrames: 0, dropFrames: 0, speed: 0.826, end: false },
  { frame: 30, fps: 29.67, streams: [{ file: 0, stream: 0, q: -1 }], bitrateKbps: 239.1, totalSize: 28926, outTimeUs: 968000, dupFrames: 0, dropFrames: 0, speed: 0.958, end: true },
];

/**
 * The last block of the two-rung ladder command (ffmpegArgs, fixtures/media/h264-aac.flv on stdin
 * at once, rungs on pipes 3 and 4, `-progress pipe:5`): a stream per output file, sizes of pipes
 * unknown to the bit rate, speed padded.
 */
const LADDER_END_TRANSCRIPT = 'frame=300\nfps=0.00\nstream_0_0_q=-1.0\nstream_1_0_q=-1.0\nbitrate=N/A\ntotal_size=741613\nout_time_us=0\nout_time_ms=0\nout_time=00:00:00.000000\ndup_frames=0\ndrop_frames=0\nspeed=   0x\nprogress=end\n';

const LADDER_END_BLOCK: FfmpegProgress = {
  frame: 300, fps: 0, streams: [{ file: 0, stream: 0, q: -1 }, { file: 1, stream: 0, q: -1 }], totalSize: 741613, outTimeUs: 0, dupFrames: 0, dropFrames: 0, speed: 0, end: true,
}; // prettier-ignore

function parseAll(chunks: readonly (Uint8Array | string)[]): FfmpegProgress[] {
  const parser = new FfmpegProgressParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** `data` cut at each of `points` (any order, repeats allowed: an empty chunk is a chunk too). */
function splitAt(data: Uint8Array, points: readonly number[]): Uint8Array[] {
  const cuts = [0, ...[...points].sort((a, b) => a - b), data.length];
  return cuts.slice(1).map((end, i) => data.subarray(cuts[i]!, end));
}

describe('FfmpegProgressParser: transcripts', () => {
  it.each([
    ['ffmpeg 5.1.9, one encoded output, -re', ONE_OUTPUT_TRANSCRIPT, ONE_OUTPUT_BLOCKS],
    ['ffmpeg 5.1.9, the two-rung ladder, last block', LADDER_END_TRANSCRIPT, [LADDER_END_BLOCK]],
    ['CRLF line ends (a Windows build)', 'frame=5\r\nspeed=1.02x\r\nprogress=continue\r\n', [{ frame: 5, speed: 1.02, streams: [], end: false }]],
    ['speed in exponent form (%4.3g)', 'speed=1.2e+03x\nprogress=continue\n', [{ speed: 1200, streams: [], end: false }]],
    ['unknown keys and lines without a key are ignored', 'encoder_x=7\n=3\nnonsense\nframe=2\nprogress=continue\n', [{ frame: 2, streams: [], end: false }]],
    ['values that are not numbers are absent', 'frame=abc\nfps=\nbitrate=12kbps\nspeed=fast\nstream_0_0_q=N/A\nprogress=continue\n', [{ streams: [], end: false }]],
    ['a block cut off by the end of the process is never returned', 'frame=1\nprogress=continue\nframe=2\nfps=3', [{ frame: 1, streams: [], end: false }]],
  ])('%s', (_name, transcript, expected) => {
    expect(parseAll([bytes(transcript)])).toEqual(expected);
    expect(parseAll([transcript])).toEqual(expected);
  });

  it('a line longer than MAX_PROGRESS_LINE_CHARS is dropped whole, not read as a cut number', () => {
    const long = `frame=${'9'.repeat(MAX_PROGRESS_LINE_CHARS)}\n`;
    expect(parseAll([long + 'fps=30\nprogress=continue\n'])).toEqual([{ fps: 30, streams: [], end: false }]);
  });

  it(`at most MAX_PROGRESS_STREAMS (${MAX_PROGRESS_STREAMS}) streams per block`, () => {
    const lines = Array.from({ length: MAX_PROGRESS_STREAMS + 10 }, (_, i) => `stream_${i}_0_q=1.0\n`).join('');
    const [block] = parseAll([lines + 'progress=continue\n']);
    expect(block!.streams).toHaveLength(MAX_PROGRESS_STREAMS);
    expect(block!.streams.at(-1)).toEqual({ file: MAX_PROGRESS_STREAMS - 1, stream: 0, q: 1 });
  });
});

describe('FfmpegProgressParser: split points', () => {
  const transcript = bytes(ONE_OUTPUT_TRANSCRIPT + LADDER_END_TRANSCRIPT);
  const expected = [...ONE_OUTPUT_BLOCKS, LADDER_END_BLOCK];

  it('every single split point yields the same blocks', () => {
    const whole = parseAll([transcript]);
    expect(whole).toEqual(expected);
    const points = Array.from({ length: transcript.length + 1 }, (_, at) => at);
    expect(points.filter((at) => JSON.stringify(parseAll(splitAt(transcript, [at]))) !== JSON.stringify(whole))).toEqual([]);
  });

  it('byte by byte', () => {
    expect(parseAll(splitAt(transcript, Array.from({ length: transcript.length }, (_, i) => i)))).toEqual(expected);
  });

  it('any set of split points yields the same blocks (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: transcript.length }), { maxLength: 40 }), (points) => {
        expect(parseAll(splitAt(transcript, points))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('LineSplitter', () => {
  function lines(chunks: readonly (Uint8Array | string)[], maxLineChars = 100): Array<[string, boolean]> {
    const splitter = new LineSplitter(maxLineChars);
    const out: Array<[string, boolean]> = [];
    const onLine = (line: string, truncated: boolean): number => out.push([line, truncated]);
    for (const chunk of chunks) splitter.push(chunk, onLine);
    splitter.end(onLine);
    return out;
  }

  it.each([
    ['LF', ['a\nb\n'], 100, [['a', false], ['b', false]]],
    ['CRLF, also split between CR and LF', ['a\r', '\nb\r\n'], 100, [['a', false], ['b', false]]],
    ['a status line redrawn with CR: only the last draw', ['frame=1\rframe=2\r', 'frame=3\nerror\n'], 100, [['frame=3', false], ['error', false]]],
    ['a last line without its newline', ['a\nb'], 100, [['a', false], ['b', false]]],
    ['a last draw ended by CR', ['x\rfinal\r'], 100, [['final', false]]],
    ['empty lines are lines', ['\n\na\n'], 100, [['', false], ['', false], ['a', false]]],
    ['a line over the cap is cut and marked', ['0123456789\nok\n'], 5, [['01234', true], ['ok', false]]],
    ['the cap holds across chunks', ['012', '345', '6789\n'], 5, [['01234', true]]],
    ['a line of exactly the cap is whole', ['01234\n'], 5, [['01234', false]]],
  ] as const)('%s', (_name, chunks, maxLineChars, expected) => {
    expect(lines(chunks, maxLineChars)).toEqual(expected);
  });

  it('a UTF-8 sequence split across chunks decodes whole, at every split point', () => {
    const data = bytes('débit=€3\n𝄞\n');
    for (let at = 0; at <= data.length; at++) expect(lines(splitAt(data, [at])), `split at ${at}`).toEqual([['débit=€3', false], ['𝄞', false]]);
  });

  it('a 10 MB line in 64 KiB chunks keeps at most maxLineChars of it', () => {
    const splitter = new LineSplitter(2000);
    const out: string[] = [];
    const chunk = new Uint8Array(64 * 1024).fill(0x78);
    for (let sent = 0; sent < 10_000_000; sent += chunk.length) splitter.push(chunk, (line) => out.push(line));
    splitter.push('\nnext\n', (line) => out.push(line));
    expect(out.map((l) => l.length)).toEqual([2000, 4]);
  });
});
