import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SEGMENT_TARGET_SECONDS } from '../cmaf/segmenter-types.js';
import { ConfigError } from '../errors/index.js';
import type { PackageFlvProgress } from '../server/package-flv.js';
import { packageFlvFile } from '../server/package-flv-file.js';
import { contentTypeForPath } from '../store/content-type.js';
import { DiskStore } from '../store/disk-store.js';
import { storedFile } from '../store/store.js';

// Modules are imported from their files, not from the stage barrels (server/index.ts loads the
// whole live server: fastify, pino, the RTMP stack): this command's start-up is part of its time.

/** The command line of `package`, with its default segment duration. */
export const PACKAGE_SYNOPSIS = `tidecast package <input.flv> <outdir> [--segment-duration ${DEFAULT_SEGMENT_TARGET_SECONDS}]`;

/** `tidecast package <input.flv> <outdir> [--segment-duration 2]`: an HLS VOD from an FLV file. */
export async function runPackage(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'segment-duration': { type: 'string' } }, strict: true });
  const [input, outdir] = positionals;
  if (input === undefined || outdir === undefined || positionals.length > 2) {
    throw new ConfigError('ERR_CONFIG_INVALID', `package takes an input file and an output folder; usage: ${PACKAGE_SYNOPSIS}`, { option: 'arguments', value: positionals.join(' ') });
  }
  const segmentTargetSeconds = await segmentDuration(values['segment-duration']);
  await readable(input);
  const root = resolve(outdir);
  const store = new DiskStore(root);
  const progress = terminalProgress();
  const started = Date.now();
  const { tracks, progress: done } = packageFlvFile(
    input,
    // DiskStore writes each file under a temporary name and renames it: no reader sees half a segment.
    (file) => store.putSync(file.path, storedFile(file.pieces, contentTypeForPath(file.path))),
    { segmentTargetSeconds },
    progress.update,
  );
  progress.end();
  const seconds = (Date.now() - started) / 1000;
  console.log(`packaged ${tracks.map((t) => `${t.kind} ${t.codecString}`).join(', ')}: ${done.files} files in ${root} (${(done.bytesRead / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s)`);
  console.log(`play: ${join(root, 'index.m3u8')}`);
}

/**
 * The same setting, range and message as serve's --segment-duration. Its checker comes with every
 * serve setting and their modules (31 more to load), so it is imported only when the flag is given.
 */
async function segmentDuration(raw: string | undefined): Promise<number> {
  if (raw === undefined) return DEFAULT_SEGMENT_TARGET_SECONDS;
  const { configLayerFromStrings } = await import('./server-config.js');
  return configLayerFromStrings({ segmentDuration: raw }, 'flag').segmentDuration ?? DEFAULT_SEGMENT_TARGET_SECONDS;
}

/** A missing or unreadable input is a usage error, not a crash: the read stream would throw a raw ENOENT. */
async function readable(input: string): Promise<void> {
  try {
    await access(input, constants.R_OK);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError('ERR_CONFIG_INVALID', `cannot read the input file ${input} (${reason})`, { option: 'input', value: input });
  }
}

/** A one-line progress indication on a terminal (stderr); silent when stderr is not a TTY. */
function terminalProgress(): { update: (p: PackageFlvProgress) => void; end: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, end: () => undefined };
  let last = 0;
  let shown = false;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\rpackaging: ${(p.bytesRead / 1e6).toFixed(1)} MB read, ${p.samples} frames, ${p.files} files`);
    },
    end: () => {
      if (shown) process.stderr.write('\n');
    },
  };
}
