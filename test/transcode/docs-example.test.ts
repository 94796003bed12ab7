import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLadderChoice } from '../../src/cli/ladder-config.js';
import { Hub, LiveStream } from '../../src/hub/index.js';
import type { VideoTrack } from '../../src/media/index.js';
import { LADDER_PRESETS, LadderSession, checkLadderSpec, ladderProblems, rungName, type LadderSpec, type LadderStats } from '../../src/transcode/index.js';
import { codeBlocks, markdownSection, markdownTable, pointAtSources, readDoc, runExample, withTempDir } from '../helpers/docs-examples.js';

/**
 * docs/transcode.md, checked against the code: the Example run as written (`tidecast/transcode`
 * pointed at src/) prints the ```text block after it; the ladder file of "The command line" gives
 * each stream the ladder its table says; the spec table names exactly the rung fields the checks
 * know, with the ranges they enforce; the stats table and JSON name exactly the fields stats() has.
 */

const doc = readDoc('transcode.md');

describe('docs/transcode.md example', () => {
  const section = markdownSection(doc, 'Example');

  it('prints the plan and the command the page shows', async () => {
    const [code] = codeBlocks(section, 'ts');
    const [expected] = codeBlocks(section, 'text');
    expect(expected).toBeDefined();
    expect(await runExample(pointAtSources(code!))).toBe(expected);
  });
});

describe('docs/transcode.md ladder file', () => {
  const section = markdownSection(doc, 'Where ladders come from');
  const [yaml] = codeBlocks(section, 'yaml');
  const rows = markdownTable(section, 'stream');

  /** The table's name for what a choice gives a stream: none, a preset's name, or the rungs' names. */
  function described(ladder: LadderSpec | string | undefined): string {
    if (ladder === undefined) return 'none';
    if (typeof ladder === 'string') return ladder;
    const preset = Object.entries(LADDER_PRESETS).find(([, spec]) => spec === ladder);
    return preset?.[0] ?? ladder.rungs.map(rungName).join(', ');
  }

  it('gives each stream of the table its ladder', async () => {
    expect(yaml).toBeDefined();
    expect(rows.length).toBeGreaterThanOrEqual(4);
    await withTempDir(async (dir) => {
      const file = join(dir, 'ladders.yaml');
      writeFileSync(file, yaml!);
      const choice = await readLadderChoice(file);
      expect(typeof choice).toBe('function');
      for (const row of rows) {
        const [app, key] = row['stream']!.replaceAll('`', '').split('/') as [string, string];
        const chosen = (choice as (app: string, key: string) => LadderSpec | string | undefined)(app, key);
        expect({ stream: row['stream'], ladder: described(chosen) }).toEqual({ stream: row['stream'], ladder: row['ladder'] });
      }
    });
  });

  it('reports a bad rung by its path in the file, as the page says', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'ladders.yaml');
      writeFileSync(file, yaml!.replace('height: 720', 'height: 721'));
      const shown = /`(ladders\[1\][^`]*)`/.exec(section)?.[1];
      expect(shown).toBeDefined();
      await expect(readLadderChoice(file)).rejects.toThrow(shown);
    });
  });
});

describe('docs/transcode.md spec table', () => {
  const rows = markdownTable(markdownSection(doc, 'The ladder spec'), 'field');
  const field = (row: Record<string, string>): string => row['field']!.replaceAll('`', '');
  const rungFields = rows.map(field).filter((f) => f.startsWith('rungs[].')).map((f) => f.slice('rungs[].'.length));

  it('names exactly the fields of a rung the checks know', () => {
    const [unknown] = ladderProblems({ rungs: [{ codec: 'copy', notAField: 1 }] });
    const known = /\(([^)]*)\)$/.exec(unknown!.message)![1]!.split(', ');
    expect([...rungFields].sort()).toEqual([...known].sort());
    expect(rows.map(field).filter((f) => !f.startsWith('rungs[].'))).toEqual(['audio.bitrateKbps']);
  });

  // Numeric rows: "16–100000" or "even, 16–4320"; the bounds are accepted, one step past them is a problem.
  const numeric = rows.flatMap((row) => {
    const match = /^(even, )?(\d+)–(\d+)/.exec(row['values']!);
    return match === null ? [] : [{ path: field(row), even: match[1] !== undefined, min: Number(match[2]), max: Number(match[3]) }];
  });

  it.each(numeric.map((n) => [n.path, n] as const))('%s: the range the table gives is the one checked', (_path, { path, even, min, max }) => {
    const problemsAt = (value: number): string[] => {
      const rung: Record<string, unknown> = { codec: 'h264', height: 480, bitrateKbps: 16 };
      const spec: Record<string, unknown> = { rungs: [rung] };
      if (path.startsWith('audio.')) spec['audio'] = { bitrateKbps: value };
      else rung[path.slice('rungs[].'.length)] = value;
      const at = path.replace('rungs[]', 'rungs[0]');
      return ladderProblems(spec).filter((p) => p.path === at).map((p) => p.message);
    };
    const step = even ? 2 : 1;
    expect(problemsAt(min)).toEqual([]);
    expect(problemsAt(max)).toEqual([]);
    expect(problemsAt(min - step)).not.toEqual([]);
    expect(problemsAt(max + step)).not.toEqual([]);
    if (even) expect(problemsAt(min + 1)).not.toEqual([]);
  });

  it('covers every numeric field of a rung', () => {
    expect(numeric.map((n) => n.path).sort()).toEqual(['audio.bitrateKbps', 'rungs[].bitrateKbps', 'rungs[].bufferSizeKbits', 'rungs[].frameRate', 'rungs[].height', 'rungs[].maxRateKbps', 'rungs[].threads', 'rungs[].width']);
  });
});

describe('docs/transcode.md stats', () => {
  const section = markdownSection(doc, 'Stats');

  /** A session's stats with a rung: a copy-only ladder plans on the tracks and runs no ffmpeg. */
  async function realStats(): Promise<LadderStats> {
    const hub = new Hub();
    const source = new LiveStream('live', 'stats', 0, hub.options);
    const output = new LiveStream('live', 'stats', 0, hub.options);
    const session = new LadderSession(source, output, {
      ffmpegPath: '/nonexistent/ffmpeg',
      ffmpegVersion: { major: 5, minor: 1 },
      spec: checkLadderSpec({ rungs: [{ codec: 'copy' }] }),
      videoTrack: () => {
        throw new Error('a copy-only ladder reads no rung configuration');
      },
      now: () => 0,
    });
    source.beginPublish(0, true);
    session.start();
    const video: VideoTrack = { id: 1, kind: 'video', codec: 'avc', timescale: 90_000, codecString: 'avc1.64001f', decoderConfig: new Uint8Array(0), width: 640, height: 360, frameRate: 30, sarWidth: 1, sarHeight: 1 };
    source.applyTracks([video]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const stats = session.stats();
    await session.stop();
    expect(stats.state).toBe('passthrough');
    return stats;
  }

  it('the table and the JSON name exactly the fields stats() has', async () => {
    const stats = await realStats();
    const rows = markdownTable(section, 'field');
    const listed = rows.flatMap((row) => [...row['field']!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
    expect([...listed].sort()).toEqual(Object.keys(stats).sort());
    const rungRow = rows.find((row) => row['field'] === '`rungs`')!;
    const rungFields = [...rungRow['meaning']!.matchAll(/`(\w+)`/g)].map((m) => m[1]!).filter((f) => f !== 'copy' && f !== 'encode');
    expect([...rungFields].sort()).toEqual(Object.keys(stats.rungs[0]!).sort());

    const [json] = codeBlocks(section, 'json');
    const example = JSON.parse(json!) as Record<string, unknown> & { rungs: Array<Record<string, unknown>> };
    for (const key of Object.keys(example)) expect(Object.keys(stats)).toContain(key);
    for (const rung of example.rungs) for (const key of Object.keys(rung)) expect(Object.keys(stats.rungs[0]!)).toContain(key);
  });
});
