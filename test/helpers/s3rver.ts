import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { delay } from './process.js';

/**
 * A real S3-compatible service for the object storage tests: s3rver (npm), in a child process of
 * its own so that a test can stop it (SIGTERM, by its PID) and start it again on the same port and
 * data folder, and so that its memory is not the server's. The bucket is made at start, with a
 * CORS rule that lets any origin GET (hls.js in a page of another origin reads the bucket's HTTP
 * endpoint). Credentials: s3rver's fixed S3RVER / S3RVER.
 */

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/** The child: s3rver's JS API; prints `{"port":N}` once listening; SIGTERM closes it. */
const CHILD = `
const S3rver = require(process.argv[1]);
const [, , port, directory, bucket, cors] = process.argv;
const server = new S3rver({ port: Number(port), address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [cors] }] });
server.run().then((address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'), (err) => { console.error(err); process.exit(1); });
process.on('SIGTERM', () => server.close().then(() => process.exit(0), () => process.exit(1)));
`;

/** s3rver's start is a few hundred ms; this bounds a child that never says it listens. */
const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5000;

export interface S3rverHandle {
  readonly bucket: string;
  /** Its data folder (a temporary folder, removed by close()). */
  readonly dir: string;
  /** The port, the same across stop() and start(). */
  readonly port: number;
  /** `http://127.0.0.1:<port>`: the endpoint for the SDK (path-style) and the objects' HTTP base. */
  readonly endpoint: string;
  /** An object's URL, path-style: `<endpoint>/<bucket>/<key>`. */
  objectUrl(key: string): string;
  /** The bucket's keys under `prefix`, sorted, read from s3rver's data folder (works while it is stopped). */
  keys(prefix?: string): Promise<string[]>;
  /** Stops the service (SIGTERM to its PID, SIGKILL after a grace) and waits for it to be gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
  readonly running: boolean;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

export async function startS3rver(bucket = 'tidecast-test'): Promise<S3rverHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'tidecast-s3rver-'));
  const entry = createRequire(import.meta.url).resolve('s3rver');
  let child: ChildProcess | undefined;
  let port = 0;

  const launch = async (): Promise<void> => {
    const c = spawn(process.execPath, ['-e', CHILD, entry, String(port), dir, bucket, CORS], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    let err = '';
    c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`s3rver did not start in ${START_TIMEOUT_MS} ms: ${err}`)), START_TIMEOUT_MS);
      c.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const line = /\{"port":(\d+)\}\n/.exec(out);
        if (line === null) return;
        clearTimeout(timer);
        resolve(Number(line[1]));
      });
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited (${code}) before listening: ${err}`));
      });
    });
  };

  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined || c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    process.kill(c.pid, 'SIGTERM');
    const ended = await Promise.race([gone.then(() => true), delay(STOP_GRACE_MS).then(() => false)]);
    if (!ended && c.exitCode === null && c.signalCode === null) {
      process.kill(c.pid, 'SIGKILL');
      await gone;
    }
  };

  await launch();
  return {
    bucket,
    dir,
    get port() {
      return port;
    },
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    objectUrl(key) {
      return `http://127.0.0.1:${port}/${bucket}/${key}`;
    },
    async keys(prefix = '') {
      return (await objectKeys(join(dir, bucket))).filter((k) => k.startsWith(prefix)).sort();
    },
    stop,
    start: launch,
    get running() {
      return child !== undefined;
    },
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * s3rver's file store keeps an object `a/b/c.m4s` as the file `a/b/c.m4s._S3rver_object` (beside
 * `._S3rver_metadata.json` and `._S3rver_object.md5`): the keys are those files' paths.
 */
async function objectKeys(root: string): Promise<string[]> {
  const suffix = '._S3rver_object';
  const keys: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(folder, e.name));
      else if (e.name.endsWith(suffix)) keys.push(relative(root, join(folder, e.name.slice(0, -suffix.length))).split(sep).join('/'));
    }
  };
  await walk(root);
  return keys;
}
