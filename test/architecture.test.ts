import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The data flow of ../shared/design.md as allowed imports between the folders of src/: arrows only
 * point down the flow. config/, errors/ and observability/ are leaves anyone may import;
 * server/ (the composition root) and cli/ may import everything.
 */
const LEAVES = ['config', 'errors', 'observability'];
const ALLOWED: Record<string, string[]> = {
  bytes: [],
  media: [],
  amf: ['bytes'],
  rtmp: ['bytes', 'amf'],
  flv: ['bytes', 'amf'],
  codec: ['bytes'],
  hub: ['media'],
  cmaf: ['bytes', 'codec', 'media'],
  store: ['media'],
  hls: ['media', 'cmaf', 'store'],
  dash: ['media', 'cmaf', 'store'],
  ts: ['codec', 'media'],
  http: ['store', 'hls', 'dash', 'hub'],
  transcode: ['media', 'flv', 'hub'],
  cluster: ['hub', 'http'],
  config: [],
  errors: [],
  observability: ['config'],
};
const ROOTS = ['server', 'cli'];

const src = resolve(new URL('../src', import.meta.url).pathname);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Top-level folder of src/ a file belongs to ('' for files directly in src/, e.g. index.ts). */
function stage(file: string): string {
  const rel = relative(src, file).split('/');
  return rel.length > 1 ? rel[0]! : '';
}

function violations(file: string, text: string): string[] {
  const from = stage(file);
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(src + '/')) {
      out.push(`${relative(src, file)} imports ${spec}, outside src/`);
      continue;
    }
    const to = stage(target);
    if (to === from || LEAVES.includes(to) || ROOTS.includes(from) || from === '') continue;
    const allowed = ALLOWED[from];
    if (allowed === undefined) out.push(`${relative(src, file)}: folder ${from}/ is not in the design's layout`);
    else if (!allowed.includes(to)) out.push(`${relative(src, file)} imports ${to}/ (${spec}): against the data flow`);
  }
  return out;
}

describe('architecture', () => {
  it('no module imports against the data flow of design.md', () => {
    const found = files(src).flatMap((f) => violations(f, readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('every folder of src/ is a stage of the design', () => {
    const folders = readdirSync(src).filter((n) => statSync(join(src, n)).isDirectory());
    for (const f of folders) expect([...Object.keys(ALLOWED), ...ROOTS], f).toContain(f);
  });

  it('the check itself catches an upward import, a dynamic one and one leaving src/', () => {
    const file = join(src, 'rtmp/session/x.ts');
    expect(violations(file, "import { Hub } from '../../hub/index.js';")).toHaveLength(1);
    expect(violations(file, "const m = await import('../../server/index.js');")).toHaveLength(1);
    expect(violations(file, "export * from '../../../test/helpers/rtmp.js';")).toHaveLength(1);
    expect(violations(file, "import type { AmfValue } from '../../amf/index.js';")).toEqual([]);
    expect(violations(join(src, 'bytes/x.ts'), "import { x } from '../amf/index.js';")).toHaveLength(1);
  });

  it('docs/architecture.md has a line for every file of src/, and none for a file that is gone', () => {
    const doc = readFileSync(new URL('../docs/architecture.md', import.meta.url), 'utf8');
    const listed = [...doc.matchAll(/^\| (src\/\S+\.ts) \|/gm)].map((m) => m[1]!).sort();
    // Folder index.ts files only re-export; the table speaks of the files with content.
    const actual = files(src)
      .map((f) => 'src/' + relative(src, f))
      .filter((f) => !/\/[a-z0-9-]+\/index\.ts$/.test(f) || f === 'src/rtmp/index.ts')
      .sort();
    expect(listed).toEqual(actual);
  });

  it('parsers stay free of I/O: no node:net, node:fs, timers or child processes below the outer layer', () => {
    const pure = ['bytes', 'amf', 'flv', 'codec', 'media', 'cmaf', 'ts', 'dash'];
    const ioFiles = new Set(['rtmp/server.ts', 'rtmp/client.ts', 'rtmp/socket-transport.ts', 'rtmp/shared-read.ts']);
    for (const f of files(src)) {
      const rel = relative(src, f);
      const text = readFileSync(f, 'utf8');
      const inPure = pure.includes(stage(f)) || (stage(f) === 'rtmp' && !ioFiles.has(rel));
      if (!inPure) continue;
      expect(text, rel).not.toMatch(/from ['"]node:(net|tls|fs|child_process|dgram|http|https)['"]/);
      expect(text, rel).not.toMatch(/\bset(Timeout|Interval|Immediate)\(/);
    }
  });

  it('HTTP answers live requests from the pushed snapshots: src/http/ never names a packager, let alone calls one', () => {
    // Code only: comments may say where snapshots come from.
    const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    const packagerUse = /\b(HlsLivePackager|HlsVodPackager|packager)\b/i;
    for (const f of files(join(src, 'http'))) expect(code(readFileSync(f, 'utf8')), relative(src, f)).not.toMatch(packagerUse);
    // The check itself: a call through a packager, or naming its class, is caught.
    expect(code("const bytes = live.packager.timeline('video'); // fine")).toMatch(packagerUse);
    expect(code('import type { HlsLivePackager } from "../hls/index.js";')).toMatch(packagerUse);
    expect(code('/* the packager pushes snapshots */ const x = 1;')).not.toMatch(packagerUse);
  });

  it('the composition root stays wiring: src/server/media-server.ts is at most 185 lines (150 in issue 9; issue 10 added the transcode tier: ladders and jobs, wired in transcoding.ts; issue 11 DASH and MPEG-TS delivery; issue 12 the control plane, wired in control-plane.ts; 185 in issue 14: the cluster, wired in cluster-wiring.ts), each adapter in its own file', () => {
    const lines = readFileSync(join(src, 'server', 'media-server.ts'), 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    expect(lines.length).toBeLessThanOrEqual(185);
  });
});
