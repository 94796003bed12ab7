import { ConfigError } from '../errors/index.js';
import { hashKey } from '../server/authorization.js';
import { renderExampleConfig } from './config-example.js';
import { CONFIG_SECTION_NAMES } from './control-config.js';
import { describeAuth } from './control-options.js';
import { serveConfig } from './serve.js';

/**
 * `tidecast config example` prints the example config file (every key, its default and variable);
 * `tidecast config check <file>` checks a file with the environment over it, as a start would,
 * and says what it turns on; `tidecast hash-key [key…]` prints the `sha256:<hex>` form of stream
 * keys or API tokens (read one per line from stdin when none is given, so the key need not appear
 * in the shell history or the process list).
 */

export const CONFIG_USAGE = 'tidecast config example | tidecast config check <file> | tidecast hash-key [key…]';

export async function runConfig(args: string[], env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'example' && rest.length === 0) {
    process.stdout.write(renderExampleConfig());
    return;
  }
  if (sub === 'check' && rest.length === 1) {
    const { config } = await serveConfig(['--config', rest[0]!], env);
    const sections = CONFIG_SECTION_NAMES.filter((s) => config[s] !== undefined);
    console.log(`${rest[0]}: valid${sections.length === 0 ? '' : ` (sections: ${sections.join(', ')})`}`);
    const auth = describeAuth(config.auth);
    console.log(auth === undefined ? 'auth: off, every publish and play is allowed' : `auth: ${auth}`);
    return;
  }
  throw new ConfigError('ERR_CONFIG_INVALID', `usage: ${CONFIG_USAGE}`, { option: 'arguments', value: args.join(' ') });
}

export async function runHashKey(args: string[]): Promise<void> {
  const keys = args.length > 0 ? args : await linesOfStdin();
  if (keys.length === 0) throw new ConfigError('ERR_CONFIG_INVALID', `usage: ${CONFIG_USAGE} (no key given)`, { option: 'arguments', value: '' });
  for (const key of keys) console.log(hashKey(key));
}

async function linesOfStdin(): Promise<string[]> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split(/\r?\n/).filter((line) => line !== '');
}
