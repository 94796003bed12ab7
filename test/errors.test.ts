import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors/index.js';

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
