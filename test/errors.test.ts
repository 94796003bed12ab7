import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AmfError,
  BytesError,
  CmafError,
  CodecError,
  ConfigError,
  ERROR_CODES,
  FlvError,
  HlsError,
  MediaError,
  RtmpError,
  StoreError,
  TidecastError,
  TranscodeError,
  type CodeOf,
  type ErrorCode,
} from '../src/errors/index.js';

const root = new URL('..', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('error registry', () => {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \| (\w+) \| (.+) \|$/gm)];

  it('docs/errors.md lists exactly the registered codes, with the same module and meaning', () => {
    expect(documented.map((m) => m[1]).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [, code, module, summary] of documented) {
      const entry = ERROR_CODES[code as keyof typeof ERROR_CODES];
      expect({ code, module, summary }).toEqual({ code, module: entry.module, summary: entry.summary });
    }
  });

  it('every code used in src/ is registered, and every registered code is raised somewhere', () => {
    const sources = sourceFiles(join(root, 'src')).filter((f) => !f.endsWith('errors/codes.ts'));
    const text = sources.map((f) => readFileSync(f, 'utf8')).join('\n');
    const used = new Set([...text.matchAll(/'(ERR_[A-Z0-9_]+)'/g)].map((m) => m[1]!));
    for (const code of used) expect(Object.keys(ERROR_CODES), `${code} used in src/`).toContain(code);
    for (const code of Object.keys(ERROR_CODES)) expect([...used], `${code} registered but never raised`).toContain(code);
  });
});

describe('error classes by module', () => {
  const classes = { bytes: BytesError, amf: AmfError, rtmp: RtmpError, flv: FlvError, codec: CodecError, media: MediaError, cmaf: CmafError, hls: HlsError, store: StoreError, config: ConfigError, transcode: TranscodeError } as const;

  it('every module of the registry has its class, which carries each of its codes', () => {
    const modules = new Set(Object.values(ERROR_CODES).map((e) => e.module));
    expect([...modules].sort()).toEqual(Object.keys(classes).sort());
    for (const [code, { module }] of Object.entries(ERROR_CODES)) {
      const Class = classes[module] as unknown as new (code: ErrorCode, message: string) => TidecastError;
      const err = new Class(code as ErrorCode, 'm');
      expect(err).toBeInstanceOf(TidecastError);
      expect([err.name, err.code]).toEqual([Class.name, code]);
    }
  });

  it('a class takes only its own module\'s codes (checked by tsc: the lines below must not compile)', () => {
    // @ts-expect-error an AMF code is not an RTMP code
    expect(new RtmpError('ERR_AMF_TRUNCATED', 'm').code).toBe('ERR_AMF_TRUNCATED');
    // @ts-expect-error ERR_RTMP_PENDING_TOO_LARGE belongs to RtmpError
    expect(new AmfError('ERR_RTMP_PENDING_TOO_LARGE', 'm')).toBeInstanceOf(AmfError);
    // @ts-expect-error config codes are ConfigError's
    expect(new MediaError('ERR_CONFIG_INVALID', 'm')).toBeInstanceOf(MediaError);
    const rtmpCode: CodeOf<'rtmp'> = new RtmpError('ERR_RTMP_PENDING_TOO_LARGE', 'm').code;
    expect(rtmpCode).toBe('ERR_RTMP_PENDING_TOO_LARGE');
  });

  it('a pending message too large has its own code, apart from the server-wide budget', () => {
    expect(ERROR_CODES.ERR_RTMP_PENDING_TOO_LARGE.module).toBe('rtmp');
    expect(ERROR_CODES.ERR_RTMP_PENDING_TOO_LARGE.summary).not.toBe(ERROR_CODES.ERR_RTMP_PENDING_BUDGET.summary);
  });
});
