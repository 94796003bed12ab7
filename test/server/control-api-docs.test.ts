import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderApiReference, type OpenApiDocument } from '../../src/server/api-reference.js';
import { createMediaServer, hashKey, type MediaServer } from '../../src/server/index.js';
import { JsonFileJobStore } from '../../src/transcode/index.js';
import { codeBlocks, firstCodeBlock, markdownSection, readDoc, repoRoot, runExample } from '../helpers/docs-examples.js';
import { operationOf, type ApiDocument } from '../helpers/openapi.js';

/*
 * docs/api.md: its "Reference" section is exactly renderApiReference of the server's
 * /api/openapi.json (a server with every route: the job API on); its curl commands are each an
 * operation of that document and run with curl against a server with a token, answering a status
 * the document lists for it, never 401 or 403; its example runs as written and prints its ```text block.
 */

const REGENERATE = 'TIDECAST_WRITE_API_DOCS=1 npx vitest run test/server/control-api-docs.test.ts';
const START = /<!-- generated: [^\n]*-->\n/;
const END = '<!-- end of the generated reference -->';
const TOKEN = 'docs-test-token';
/** curl runs the page's commands; .ci/run installs it where it is missing. */
const CURL = await promisify(execFile)('curl', ['--version']).then(() => true, () => false);

let server: MediaServer;
let doc: OpenApiDocument & ApiDocument;
let base: string;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-api-docs-'));
  server = createMediaServer({ api: { tokens: [hashKey(TOKEN)] }, jobs: { store: new JsonFileJobStore(join(dir, 'jobs.json')) }, rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' } });
  const { http } = await server.listen();
  base = `http://127.0.0.1:${http.port}`;
  doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as typeof doc;
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('docs/api.md', () => {
  it('has the reference renderApiReference makes of /api/openapi.json', () => {
    const path = join(repoRoot, 'docs/api.md');
    let page = readFileSync(path, 'utf8');
    const start = START.exec(page);
    const end = page.indexOf(END);
    expect(start !== null && end > start.index, 'docs/api.md lacks the generated-reference markers').toBe(true);
    const from = start!.index + start![0].length;
    const rendered = `\n${renderApiReference(doc)}\n`;
    if (process.env['TIDECAST_WRITE_API_DOCS'] === '1') {
      page = page.slice(0, from) + rendered + page.slice(end);
      writeFileSync(path, page);
    }
    expect(page.slice(from, page.indexOf(END)), `docs/api.md's reference is out of date: regenerate it with\n  ${REGENERATE}`).toBe(rendered);
  });

  it.skipIf(!CURL)(`runs its curl commands against a server with a token: documented operations, documented answers${CURL ? '' : ' (skipped: curl not found; .ci/run installs it)'}`, async () => {
    const commands = codeBlocks(markdownSection(readDoc('api.md'), 'Examples'), 'sh').flatMap((block) => block.split('\n')).filter((line) => line.startsWith('curl '));
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const command of commands) {
      const url = /'?http:\/\/localhost:8080(\/\S+?)'?(\s|$)/.exec(command)![1]!;
      const method = /-X (\w+)/.exec(command)?.[1] ?? 'GET';
      const operation = operationOf(doc, method, url);
      expect(operation, `${method} ${url}`).toBeDefined();
      const run = `${command.replaceAll('http://localhost:8080', base)} -w '\\n%{http_code}'`;
      const { stdout } = await promisify(execFile)('bash', ['-c', run], { env: { ...process.env, TOKEN } });
      const status = stdout.slice(stdout.lastIndexOf('\n') + 1);
      expect({ command, documented: Object.keys(operation!.responses).includes(status) }).toEqual({ command, documented: true });
      expect(['401', '403'], command).not.toContain(status);
    }
  });

  it('runs its example as written', async () => {
    const section = markdownSection(readDoc('api.md'), 'Example');
    const code = firstCodeBlock(section, 'ts').replace(/from 'tidecast'/g, `from '${join(repoRoot, 'src/index.ts')}'`);
    expect(await runExample(code, { fileName: 'example.mts' })).toBe(firstCodeBlock(section, 'text'));
  });
});
