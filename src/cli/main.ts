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

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(isTidecastError(err) ? `tidecast: ${err.message}` : err);
  process.exit(1);
});
