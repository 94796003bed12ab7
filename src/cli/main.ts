#!/usr/bin/env node
import { isTidecastError } from '../errors/index.js';
import { runPackage } from './package.js';
import { serve } from './serve.js';

/** `tidecast [serve] …` or `tidecast package …`; serve is the default. */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'package') return runPackage(rest);
  if (command === 'serve') return serve(rest);
  return serve(argv);
}

// A reader that goes away (`tidecast package … | head -1`) is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(isTidecastError(err) ? `tidecast: ${err.message}` : err);
  process.exit(1);
});
