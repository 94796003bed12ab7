import { mkdtemp, rm } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_STATES, JOB_TRANSITIONS, JsonFileJobStore, parseJobRequest } from '../../src/transcode/index.js';
import { codeBlocks, exampleDifferences, httpExchanges, markdownSection, markdownTable, readDoc, repoRoot } from '../helpers/docs-examples.js';
import { startLiveServer, type LiveServer } from '../helpers/live.js';

/*
 * docs/jobs.md against a real server (JSON file store, no publisher, no ffmpeg run): every
 * ```http request of the page is sent in order and its answer must match the response shown after
 * it — the status, the content type, and the body's keys and values, `<id>` and `<key>` standing for
 * the job the last 201 created, times for any time, `localhost:8080` / `:1935` for the test
 * server's ports. The ezLiveStreaming sample on the page is one of those requests (201). The
 * walkthrough's curl commands use documented routes, its job body is accepted, and its running job
 * has the answer's fields, real states, and the stats fields docs/transcode.md lists. The state
 * table is JOB_TRANSITIONS, and the ezLiveStreaming table names every field the parser knows.
 */

const doc = readDoc('jobs.md');
const exchanges = httpExchanges(doc);
type Json = Record<string, unknown>;

describe('docs/jobs.md', () => {
  let live: LiveServer;
  let dir: string;
  let replace: Array<[string, string]>;
  /** `<id>` and `<key>` of the job the last 201 created. */
  const bound: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-jobs-docs-'));
    live = await startLiveServer({ jobs: { store: new JsonFileJobStore(join(dir, 'jobs.json')) } });
    replace = [
      ['http://localhost:8080', live.httpUrl('').replace(/\/$/, '')],
      ['rtmp://localhost:1935', live.rtmpUrl('').replace(/\/$/, '')],
    ];
  });
  afterAll(async () => {
    await live?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function send(method: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; contentType: string | null; text: string }> {
    const res = await fetch(live.httpUrl(path.replaceAll('<id>', bound['<id>'] ?? '<id>').slice(1)), { method, headers, ...(body === '' ? {} : { body }) });
    return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
  }

  it('shows a request and its answer for every route of the API table', () => {
    const requests = new Set(exchanges.map((e) => `${e.request.method} ${e.request.path.replace(/\?.*$/, '')}`));
    const routes = markdownTable(markdownSection(doc, 'The API'), 'route').map((row) => row['route']!.replaceAll('`', '').replace(/\?.*$/, ''));
    expect(routes.length).toBe(6);
    for (const route of routes) expect(requests).toContain(route);
    for (const e of exchanges) expect(e.response, `${e.request.method} ${e.request.path}`).toBeDefined();
  });

  it('answers every request of the page as the page shows, in order', async () => {
    expect(exchanges.length).toBeGreaterThanOrEqual(11);
    for (const { request, response } of exchanges) {
      const name = `${request.method} ${request.path}`;
      const answer = await send(request.method, request.path, { ...request.headers }, request.body);
      expect({ name, status: answer.status }).toEqual({ name, status: response!.status });
      expect(STATUS_CODES[response!.status]).toBe(response!.reason);
      if (response!.body === '') {
        expect(answer.text).toBe('');
        continue;
      }
      expect({ name, contentType: answer.contentType }).toEqual({ name, contentType: response!.headers['content-type'] });
      const actual = JSON.parse(answer.text) as Json;
      if (answer.status === 201) {
        bound['<id>'] = actual['id'] as string;
        bound['<key>'] = actual['streamKey'] as string;
      }
      expect({ name, differences: exampleDifferences(actual, JSON.parse(response!.body), { bound, replace }) }).toEqual({ name, differences: [] });
    }
  });

  it("sends ezLiveStreaming's sample as a request of the page", () => {
    const section = markdownSection(doc, "ezLiveStreaming's format");
    const [sample] = httpExchanges(section);
    expect(sample?.request.method).toBe('POST');
    expect(sample?.response?.status).toBe(201);
    expect(parseJobRequest(JSON.parse(sample!.request.body)).format).toBe('ezls');
  });

  describe('walkthrough', () => {
    const section = markdownSection(doc, 'Walkthrough');
    const commands = codeBlocks(section, 'sh').flatMap((block) => block.replaceAll('\\\n', ' ').split('\n')).filter((line) => line.trim().startsWith('curl '));
    const [runningJson] = codeBlocks(section, 'json');
    const running = JSON.parse(runningJson!) as Json & { history: Json[]; ladder: Json & { rungs: Json[] } };

    it('curls documented routes only', () => {
      const documented = new Set(exchanges.map((e) => `${e.request.method} ${e.request.path}`));
      expect(commands.length).toBeGreaterThanOrEqual(5);
      for (const command of commands) {
        const url = /'?(http:\/\/localhost:8080\/\S+?)'?(\s|$)/.exec(command)![1]!;
        const method = /-X (\w+)/.exec(command)?.[1] ?? (command.includes(' -d ') ? 'POST' : 'GET');
        expect(documented).toContain(`${method} ${url.slice('http://localhost:8080'.length)}`);
      }
    });

    it("creates the job the walkthrough shows, and shows a running job's real fields and states", async () => {
      const create = commands.find((c) => c.includes(' -d '))!;
      const body = /-d '([^']*)'/.exec(create)![1]!;
      const answer = await send('POST', '/api/jobs', { 'content-type': 'application/json' }, body);
      expect(answer.status).toBe(201);
      const created = JSON.parse(answer.text) as Json;
      const own = { '<id>': created['id'] as string, '<key>': created['streamKey'] as string };
      // What a publish changes: the state, its history, the update time, and the ladder's stats.
      const changed = new Set(['state', 'history', 'updatedAt', 'ladder']);
      const stable = (job: Json): Json => Object.fromEntries(Object.entries(job).filter(([key]) => !changed.has(key)));
      expect(exampleDifferences(stable(created), stable(running), { bound: own, replace })).toEqual([]);
      expect(Object.keys(running).sort()).toEqual([...Object.keys(created), 'ladder'].sort());

      expect(JOB_STATES).toContain(running['state']);
      for (const entry of running.history) expect(JOB_STATES).toContain(entry['state']);
      expect(running.history.map((h) => h['state'])).toEqual(['created', 'waiting', 'running']);

      const transcode = readDoc('transcode.md');
      const ladderStates = markdownTable(markdownSection(transcode, 'Supervision'), 'state').map((row) => row['state']!.replaceAll('`', ''));
      expect(ladderStates).toContain(running.ladder['state']);
      const statsFields = markdownTable(markdownSection(transcode, 'Stats'), 'field').flatMap((row) => [...row['field']!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
      for (const key of Object.keys(running.ladder)) expect(statsFields).toContain(key);
      const [statsJson] = codeBlocks(markdownSection(transcode, 'Stats'), 'json');
      const rungFields = new Set((JSON.parse(statsJson!) as { rungs: Json[] }).rungs.flatMap((r) => Object.keys(r)));
      for (const rung of running.ladder.rungs) for (const key of Object.keys(rung)) expect(rungFields).toContain(key);
    });
  });

  it('has a state table that is JOB_TRANSITIONS, arrow for arrow', () => {
    const rows = markdownTable(markdownSection(doc, 'States'), 'from');
    const shown = rows.map((row) => `${row['from']!.replaceAll('`', '')} → ${row['to']!.replaceAll('`', '')}`).sort();
    const real = Object.entries(JOB_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from} → ${to}`)).sort();
    expect(shown).toEqual(real);
  });

  it("has a row for every ezLiveStreaming field the parser knows", () => {
    const rows = markdownTable(markdownSection(doc, "ezLiveStreaming's format"), 'ezLiveStreaming field').map((row) => row['ezLiveStreaming field']!.replaceAll('`', ''));
    /** The field list an unknown field's message gives, e.g. "is not a field of Input (Url, JobUdpPortBase)". */
    const known = (body: unknown, path: string): string[] => {
      try {
        parseJobRequest(body);
      } catch (error) {
        const problem = (error as { problems: Array<{ path: string; message: string }> }).problems.find((p) => p.path === path)!;
        return /\(([^)]*)\)$/.exec(problem.message)![1]!.split(', ');
      }
      throw new Error(`${path} was accepted`);
    };
    const output = known({ Output: { Zz: 1 } }, 'Output.Zz');
    const video = known({ Output: { Video_outputs: [{ Zz: 1 }] } }, 'Output.Video_outputs[0].Zz');
    const audio = known({ Output: { Video_outputs: [], Audio_outputs: [{ Zz: 1 }] } }, 'Output.Audio_outputs[0].Zz');
    const expected = ['Input', 'Api_test', ...output.map((f) => `Output.${f}`), ...video.map((f) => `Output.Video_outputs[].${f}`), ...audio.map((f) => `Output.Audio_outputs[].${f}`)];
    for (const field of expected) {
      if (field === 'Output.Video_outputs' || field === 'Output.Audio_outputs') expect(rows).toContain(`${field}[]`);
      else expect(rows).toContain(field);
    }
    expect(known({ Output: {}, Input: { Zz: 1 } }, 'Input.Zz')).toEqual(['Url', 'JobUdpPortBase']);
  });

  it('imports, in its embedding example, names the package exports', async () => {
    const [code] = codeBlocks(doc, 'ts');
    for (const [, names, module] of code!.matchAll(/import \{ ([^}]+) \} from 'tidecast(?:\/(\w+))?';/g)) {
      const exported = (await import(join(repoRoot, 'src', module ?? '', 'index.ts'))) as Record<string, unknown>;
      for (const name of names!.split(',').map((n) => n.trim())) expect(exported[name], `${name} from tidecast${module === undefined ? '' : `/${module}`}`).toBeDefined();
    }
  });
});
