import { afterAll, describe, expect, it } from 'vitest';
import { chunkedLoad } from '../../bench/dash-chunked.bench.js';
import { LlServerChild, openFileLimit } from '../../bench/ll-hls.bench.js';
import { ffmpegPath } from '../helpers/ffmpeg.js';

/*
 * DASH chunked delivery under load (issue 11, Done-when 5): N open answers for the video segment
 * being written, each getting every part as it is made (bench/dash-chunked.bench.ts, chunkedLoad;
 * the server in a child process with an ffmpeg -re publisher, bench/ll-hls-child.ts).
 *
 * Checked: every part reached every answer and every answer's bytes equal the final segment file;
 * the server's own delay from the 'part' event to its last write of that part to the N answers
 * (median over the parts of 3 rounds) stays under a generous regression bound. The issue's target
 * (5 ms with 1 000 answers) is measured by `npm run bench` and recorded in docs/benchmarks.md.
 *
 * Default: 100 answers, bound 25 ms. TIDECAST_LOAD=1 (CI runs load tests alone): 1 000, bound 50 ms.
 */

const ffmpeg = await ffmpegPath();
const FULL = process.env['TIDECAST_LOAD'] === '1';
const N = FULL ? 1000 : 100;
const BOUND_MS = FULL ? 50 : 25;
const skip = ffmpeg === undefined ? 'ffmpeg not found' : N + 100 > openFileLimit() ? `ulimit -n below ${N + 100}` : undefined;

let server: LlServerChild | undefined;
afterAll(async () => {
  await server?.stop();
});

describe.skipIf(skip !== undefined)(`DASH: ${N} chunked answers for the segment being written${skip === undefined ? '' : ` (skipped: ${skip})`}`, () => {
  it('every part reaches every answer, bytes equal to the final file; part event → last write within the bound (median)', async () => {
    server = await LlServerChild.start({ publishSeconds: 60 });
    const load = await chunkedLoad(server, N, 3);
    console.log(`DASH chunked load: ${JSON.stringify(load)}`);
    expect(load.complete).toBe(true);
    expect(load.parts).toBeGreaterThanOrEqual(15);
    expect(load.lastWriteMedianMs).toBeLessThanOrEqual(BOUND_MS);
  }, 90_000);
});
