#!/usr/bin/env node
import { isTidecastError } from '../errors/index.js';

/**
 * `tidecast [serve] …`, `tidecast package …`, `tidecast config example|check <file>` or
 * `tidecast hash-key [key…]` or `tidecast edge-config varnish|nginx|haproxy …`; serve is the default. Each command's module is
 * imported when it runs: `package` never loads the server (fastify, pino), whose loading would be
 * a good part of its run time.
 */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'package') return (await import('./package.js')).runPackage(rest);
  if (command === 'config') return (await import('./config-command.js')).runConfig(rest, process.env);
  if (command === 'hash-key') return (await import('./config-command.js')).runHashKey(rest);
  if (command === 'cluster') return (await import('./cluster-demo.js')).runClusterCommand(rest);
  if (command === 'edge-config') return (await import('./edge-config-command.js')).runEdgeConfig(rest);
  if (command === 'loadgen') return (await import('./loadgen-command.js')).runLoadgenCommand(rest);
  const { serve } = await import('./serve.js');
  return serve(command === 'serve' ? rest : argv);
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
