import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMediaServer, type MediaServer } from '../../src/server/index.js';
import { EventEmitter } from 'eventemitter3';
import { JobService, JsonFileJobStore, type Job, type JobServiceEvents } from '../../src/transcode/index.js';

/** job.* events (issue 12): a live job's state changes reach the control plane's events (and so the webhooks), ordered per job, once per state. */

let server: MediaServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('job events', () => {
  it('job.created, job.running, job.stopped, job.waiting, job.deleted from the job store, not repeated for a change within a state', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidecast-job-events-'));
    server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' } });
    const jobs = await JobService.open({ store: new JsonFileJobStore(join(dir, 'jobs.json')) });
    server.control.watchJobs(jobs);
    const seen: Array<{ type: string; data: Record<string, unknown> }> = [];
    server.control.events.on('event', (e) => seen.push({ type: e.type, data: e.data }));
    const job = await jobs.create({ ladder: { rungs: [{ codec: 'h264', height: 240, bitrateKbps: 300 }] } });
    await jobs.transition(job.id, 'running', 'test');
    await jobs.recordError(job.id, 'ffmpeg said no'); // a change within a state: no event
    await jobs.stop(job.id);
    await jobs.resume(job.id);
    await jobs.delete(job.id);
    expect(seen.map((e) => e.type)).toEqual(['job.created', 'job.running', 'job.stopped', 'job.waiting', 'job.deleted']);
    expect(seen[0]!.data).toMatchObject({ jobId: job.id, app: job.app, streamKey: job.streamKey, state: 'waiting' });
  });

  it('in a cluster, another origin’s changes (remote) are not told again: each change is sent once, by the origin that made it', () => {
    server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' } });
    const jobs = new EventEmitter<JobServiceEvents>();
    server.control.watchJobs(jobs);
    const seen: string[] = [];
    server.control.events.on('event', (e) => seen.push(e.type));
    const job = { id: 'j1', app: 'live', streamKey: 'k', state: 'waiting', createdAtMs: 1, updatedAtMs: 1 } as unknown as Job;
    jobs.emit('change', job, 'remote');
    jobs.emit('change', { ...job, state: 'running', updatedAtMs: 2 }, 'remote');
    jobs.emit('change', { ...job, state: 'stopped', updatedAtMs: 3 }, 'local');
    jobs.emit('change', { ...job, state: 'stopped', updatedAtMs: 4 }, 'remote');
    jobs.emit('delete', job, 'remote');
    expect(seen).toEqual(['job.stopped']);
  });
});
