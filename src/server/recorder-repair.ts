import { open, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { peakBitrate } from '../hls/index.js';
import { completeFragmentsEnd, fragmentDurationTicks, initDefaults, topLevelBoxes, type TrackDefaults } from './recorder-boxes.js';
import { isTemporaryFile, replaceFile } from './recorder-files.js';
import { recordingMediaPlaylist, recordingMultivariant, type RecordedSegment } from './recorder-playlists.js';
import { RECORDING_INFO_FILE, recordingFolder, scanRecordings, type RecordingInfo, type RecordingRendition } from './recording-catalog.js';
import { writeRecordingMpd, type RecordedRendition } from './recording-mpd.js';

/**
 * The start-up repair (docs/recording.md "Crash safety"): a recording whose recording.json still
 * says 'recording' was being written when the server died. Each rendition's segment files are cut
 * after their last complete fragment (moof + mdat: what a part appended in full left), a file
 * without one is removed, and the playlists are written again as VOD with EXT-X-ENDLIST, listing
 * every segment that kept a fragment. Segments the EVENT playlist already listed keep its
 * durations and dates; the ones after it are measured from their track runs and dated on from the
 * last one. The static MPD (recording-mpd.ts) is written from those, then recording.json says
 * 'recovered', with its figures counted from the files.
 */

/** Repairs every crashed recording under `dir` but those `skip` says are being written; reports each failure. */
export async function repairRecordings(dir: string, skip: (id: string) => boolean, failed: (info: RecordingInfo, reason: string) => void): Promise<RecordingInfo[]> {
  const repaired: RecordingInfo[] = [];
  for (const info of await scanRecordings(dir)) {
    if (info.state !== 'recording' || skip(info.id)) continue;
    const folder = recordingFolder(dir, info.id);
    if (folder === undefined) continue;
    try {
      repaired.push(await repairRecording(folder, info));
    } catch (error) {
      failed(info, (error as Error).message);
    }
  }
  return repaired;
}

/** One crashed recording made whole again; its new recording.json. */
export async function repairRecording(folder: string, info: RecordingInfo): Promise<RecordingInfo> {
  const described = new Map(info.renditions.map((r) => [r.name, r]));
  const entries = await readdir(folder, { withFileTypes: true });
  const renditions: RecordingRendition[] = [];
  let bytes = 0;
  let durationSeconds = 0;
  let endedAtMs = 0;
  // recording.json's order (video first, as written), then any folder it did not know of yet.
  const known = info.renditions.map((r) => r.name);
  const order = (name: string): number => (known.includes(name) ? known.indexOf(name) : known.length);
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name));
  const listed: RecordedRendition[] = [];
  for (const entry of folders) {
    const result = await repairRendition(path.join(folder, entry.name), info.startedAtMs);
    bytes += result.bytes;
    if (result.segments.length === 0) continue;
    const last = result.segments[result.segments.length - 1]!;
    let seconds = 0;
    for (const s of result.segments) seconds += s.durationSeconds;
    durationSeconds = Math.max(durationSeconds, seconds);
    endedAtMs = Math.max(endedAtMs, Math.round(last.programDateTimeMs + last.durationSeconds * 1000));
    const description: RecordingRendition = described.get(entry.name) ?? { name: entry.name, kind: entry.name.startsWith('audio') ? 'audio' : 'video', codecs: '', bandwidth: 0 };
    renditions.push({ ...description, bandwidth: Math.max(description.bandwidth, peakBitrate(result.segments)) });
    listed.push({ rendition: renditions.at(-1)!, segments: result.segments });
  }
  const repaired: RecordingInfo = {
    ...info,
    state: 'recovered',
    endedAtMs: endedAtMs > 0 ? endedAtMs : info.startedAtMs,
    durationSeconds: Math.round(durationSeconds * 1000) / 1000,
    bytes,
    renditions,
  };
  const multivariant = recordingMultivariant(renditions.filter((r) => r.codecs !== ''));
  if (multivariant !== undefined) await replaceFile(path.join(folder, 'index.m3u8'), multivariant);
  await writeRecordingMpd(folder, listed, repaired.endedAtMs ?? undefined);
  await replaceFile(path.join(folder, RECORDING_INFO_FILE), JSON.stringify(repaired, null, 2), true);
  return repaired;
}

/** One rendition folder: its segments cut to whole fragments and listed, its VOD playlist written. */
async function repairRendition(folder: string, startedAtMs: number): Promise<{ segments: RecordedSegment[]; bytes: number }> {
  const names = await readdir(folder);
  for (const name of names.filter(isTemporaryFile)) await rm(path.join(folder, name), { force: true });
  const inits = new Map<number, TrackDefaults | undefined>();
  let bytes = 0;
  for (const name of names) {
    const generation = /^init-(\d+)\.mp4$/.exec(name)?.[1];
    if (generation === undefined) continue;
    const init = await readFile(path.join(folder, name));
    bytes += init.byteLength;
    inits.set(Number(generation), initDefaults(init));
  }
  const listed = new Map(listedSegments(await readFile(path.join(folder, 'index.m3u8'), 'utf8').catch(() => '')).map((s) => [s.msn, s]));
  const numbers = names.map((n) => /^(\d+)\.m4s$/.exec(n)?.[1]).filter((n): n is string => n !== undefined).map(Number).sort((a, b) => a - b);
  const newestInit = inits.size === 0 ? undefined : Math.max(...inits.keys());
  const segments: RecordedSegment[] = [];
  for (const msn of numbers) {
    const file = path.join(folder, `${msn}.m4s`);
    const previous = segments[segments.length - 1];
    const known = listed.get(msn);
    // Unlisted segments come after the listed ones: the newest init is theirs (a new generation's init is written before its segments).
    const generation = known?.generation ?? newestInit ?? previous?.generation ?? 0;
    const measured = await cutToFragments(file, known === undefined ? inits.get(generation) : undefined);
    if (measured === undefined) {
      await rm(file, { force: true });
      continue;
    }
    bytes += measured.bytes;
    if (known !== undefined) segments.push({ ...known, byteLength: measured.bytes });
    else {
      if (measured.durationSeconds <= 0) {
        await rm(file, { force: true });
        continue;
      }
      const programDateTimeMs = previous === undefined ? startedAtMs : Math.round(previous.programDateTimeMs + previous.durationSeconds * 1000);
      segments.push({ msn, durationSeconds: measured.durationSeconds, programDateTimeMs, generation, discontinuity: false, byteLength: measured.bytes });
    }
  }
  if (segments.length > 0) await replaceFile(path.join(folder, 'index.m3u8'), recordingMediaPlaylist(segments, true));
  else await rm(path.join(folder, 'index.m3u8'), { force: true });
  return { segments, bytes };
}

/**
 * Cuts the file after its last complete fragment; undefined when it has none. With `defaults` (an
 * unlisted segment's track) its fragments' durations are summed too.
 */
async function cutToFragments(file: string, defaults: TrackDefaults | undefined): Promise<{ bytes: number; durationSeconds: number } | undefined> {
  const handle = await open(file, 'r+');
  try {
    const size = (await handle.stat()).size;
    const { end, moofs } = completeFragmentsEnd(await topLevelBoxes(handle, size));
    if (end === 0) return undefined;
    if (end < size) {
      await handle.truncate(end);
      await handle.datasync();
    }
    let ticks = 0;
    if (defaults !== undefined) {
      for (const moof of moofs) {
        const bytes = Buffer.alloc(moof.size);
        await handle.read(bytes, 0, moof.size, moof.offset);
        ticks += fragmentDurationTicks(bytes, defaults);
      }
    }
    return { bytes: end, durationSeconds: defaults === undefined ? 0 : ticks / defaults.timescale };
  } finally {
    await handle.close();
  }
}

/**
 * The segments an EVENT playlist of ours lists: number (from the URI), EXTINF, PROGRAM-DATE-TIME,
 * the EXT-X-MAP generation in force and DISCONTINUITY. Lines it does not know are skipped.
 */
export function listedSegments(text: string): RecordedSegment[] {
  const segments: RecordedSegment[] = [];
  let generation = 0;
  let durationSeconds: number | undefined;
  let programDateTimeMs: number | undefined;
  let discontinuity = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#EXT-X-MAP:')) generation = Number(/URI="init-(\d+)\.mp4"/.exec(line)?.[1] ?? generation);
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) programDateTimeMs = Date.parse(line.slice('#EXT-X-PROGRAM-DATE-TIME:'.length));
    else if (line.startsWith('#EXTINF:')) durationSeconds = Number.parseFloat(line.slice('#EXTINF:'.length));
    else if (line === '#EXT-X-DISCONTINUITY') discontinuity = true;
    else if (/^\d+\.m4s$/.test(line) && durationSeconds !== undefined && programDateTimeMs !== undefined && Number.isFinite(programDateTimeMs)) {
      segments.push({ msn: Number.parseInt(line, 10), durationSeconds, programDateTimeMs, generation, discontinuity, byteLength: 0 });
      durationSeconds = undefined;
      programDateTimeMs = undefined;
      discontinuity = false;
    }
  }
  return segments;
}
