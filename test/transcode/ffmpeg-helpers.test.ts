import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ffmpegPath, ffprobePath, fixturePath, probePackets, spawnFfmpeg } from '../helpers/ffmpeg.js';

/** The integration-test helpers themselves: a broken helper would make oracle tests lie. */

const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();

describe('test/helpers/ffmpeg', () => {
  it('names fixtures under fixtures/', () => {
    expect(existsSync(fixturePath('media/h264-aac.flv'))).toBe(true);
    expect(existsSync(fixturePath('rtmp/README.md'))).toBe(true);
  });

  it.skipIf(ffmpeg === undefined)('spawnFfmpeg reports a normal exit with its stderr', async () => {
    const run = await spawnFfmpeg(['-loglevel', 'info', '-f', 'lavfi', '-i', 'anullsrc=d=0.1', '-f', 'null', '-'], {
      timeoutMs: 30_000,
    });
    const result = await run.done;
    expect(result).toMatchObject({ code: 0, signal: null, timedOut: false });
    expect(result.stderr).toContain('anullsrc');
  });

  it.skipIf(ffmpeg === undefined)('spawnFfmpeg kills the process at timeoutMs', async () => {
    const started = Date.now();
    const run = await spawnFfmpeg(['-re', '-f', 'lavfi', '-i', 'anullsrc', '-f', 'null', '-'], { timeoutMs: 500 });
    const result = await run.done;
    expect(result).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: true });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.skipIf(ffprobe === undefined)('probePackets groups packets by stream with pts/dts in ms', async () => {
    const packets = await probePackets(fixturePath('media/h264-aac.flv'));
    expect(packets['video']?.[0]).toMatchObject({ dtsMs: 0, keyframe: true });
    expect(packets['video']?.some((v) => v.ptsMs !== v.dtsMs)).toBe(true);
    expect(packets['audio']?.every((a) => a.ptsMs === a.dtsMs)).toBe(true);
  });
});
