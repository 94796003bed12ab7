import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recorder, scanRecordings, type RecordingEvent, type RecordingInfo } from '../../src/server/index.js';
import { filesUnder, startRecordingServer } from '../helpers/recording.js';

/**
 * Retention and the disk floor (docs/recording.md), with an injected clock and a small fake quota:
 * old recordings go, and under the floor recording stops with recording.failed while the live
 * stream goes on.
 */

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

async function fakeRecording(dir: string, id: string, endedAtMs: number): Promise<void> {
  await mkdir(join(dir, id, 'video'), { recursive: true });
  const info: RecordingInfo = { version: 1, id, app: 'live', streamKey: id.split('/')[1]!, startedAtMs: endedAtMs - 60_000, endedAtMs, state: 'complete', durationSeconds: 60, bytes: 3, renditions: [] };
  await writeFile(join(dir, id, 'recording.json'), JSON.stringify(info));
  await writeFile(join(dir, id, 'video', '0.m4s'), 'abc');
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

describe('retention (deleteAfterSeconds)', () => {
  it('deletes recordings that ended longer ago at start and at each sweep, with the folders they leave empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidecast-retention-'));
    let clock = T0;
    const events: RecordingEvent[] = [];
    await fakeRecording(dir, 'live/a/old', T0 - 2 * DAY_MS);
    await fakeRecording(dir, 'live/a/recent', T0 - 3_600_000);
    await fakeRecording(dir, 'live/b/old', T0 - DAY_MS - 1);
    await writeFile(join(dir, 'notes.txt'), 'not a recording');
    const recorder = new Recorder(
      { dir, deleteAfterSeconds: 86_400, minFreeBytes: 0 },
      { now: () => clock, emit: (e) => events.push(e), describe: () => undefined, isLive: () => false, settled: async () => undefined, targetDurationSeconds: 2 },
    );
    try {
      await recorder.ready;
      expect((await scanRecordings(dir)).map((r) => r.id)).toEqual(['live/a/recent']);
      expect(await exists(join(dir, 'live/b'))).toBe(false);
      expect(await exists(join(dir, 'live/a'))).toBe(true);
      expect(await exists(join(dir, 'notes.txt'))).toBe(true);
      clock += DAY_MS - 3_600_000;
      await recorder.sweep();
      expect((await scanRecordings(dir)).map((r) => r.id)).toEqual(['live/a/recent']);
      clock += 1;
      await recorder.sweep();
      expect(await scanRecordings(dir)).toEqual([]);
      expect(await filesUnder(dir)).toEqual(['notes.txt']);
      expect(events).toEqual([]);
    } finally {
      await recorder.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the disk floor (minFreeBytes)', () => {
  it('stops recording with recording.failed under the floor, refuses new recordings, and leaves the live stream alone', async () => {
    // A 250 kB disk: the recordings' own bytes use it up.
    const QUOTA = 250_000;
    let used = 0;
    const rec = await startRecordingServer({ record: { streams: 'all', minFreeBytes: 200_000, freeBytes: async () => QUOTA - used }, now: () => T0, endGraceMs: 60_000 });
    rec.server.on('recording', (e) => {
      if (e.type === 'segment_completed') used += e.byteLength;
    });
    const live: number[] = [];
    rec.server.on('segment', (s, seg) => s.streamKey === 'cam' && seg.track === 'video' && live.push(seg.msn));
    try {
      const { fixtureTags } = await import('../helpers/recording.js');
      const { stream } = await rec.publish('cam', 4500);
      await expect.poll(() => rec.events.filter((e) => e.type === 'segment_completed').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      expect(used).toBeGreaterThan(QUOTA - 200_000);
      await rec.server.recording!.checkDisk();
      await expect.poll(() => rec.events.find((e) => e.type === 'failed'), { timeout: 5_000 }).toMatchObject({
        type: 'failed',
        app: 'live',
        streamKey: 'cam',
        reason: expect.stringMatching(/^free space on the recordings' disk is \d+ bytes, under record\.minFreeBytes \(200000\)$/),
      });
      expect(rec.server.recording!.isRecording('live', 'cam')).toBe(false);
      await rec.server.recording!.idle();
      const [info] = await scanRecordings(rec.dir);
      const recorded = await filesUnder(join(rec.dir, info!.id));
      // The live stream goes on: its later segments are packaged, and none of them is recorded.
      for (const t of fixtureTags().filter((t) => t.timestamp > 4500)) {
        if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
        else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
      }
      await expect.poll(() => Math.max(...live), { timeout: 10_000 }).toBe(3);
      expect(await filesUnder(join(rec.dir, info!.id))).toEqual(recorded);
      expect(info).toMatchObject({ state: 'complete' });
      expect(rec.events.some((e) => e.type === 'completed')).toBe(false);
      // While under the floor a new publish is not recorded: told as failed at once.
      await rec.publish('other', 1000);
      await expect.poll(() => rec.events.filter((e) => e.type === 'failed').length, { timeout: 5_000 }).toBe(2);
      expect(rec.events.at(-1)).toMatchObject({ type: 'failed', streamKey: 'other', reason: expect.stringContaining('under record.minFreeBytes') });
      expect((await scanRecordings(rec.dir)).map((r) => r.streamKey)).toEqual(['cam']);
      // Room again: the next publish records.
      used = 0;
      await rec.server.recording!.checkDisk();
      await rec.publish('third', 2500);
      await expect.poll(() => rec.events.filter((e) => e.type === 'started').length, { timeout: 5_000 }).toBe(2);
    } finally {
      await rec.close();
    }
  });
});
