import { readFile } from 'node:fs/promises';
import { parse, YAMLParseError } from 'yaml';
import { ConfigError } from '../errors/index.js';
import { configLayerFromObject, type ServerConfigLayer } from './server-config.js';

/**
 * Config file text → a layer. YAML 1.2 is a superset of JSON, so one parser reads both `.json`
 * and `.yaml` files; the extension is not consulted.
 */
export function parseConfigText(text: string, source: string): ServerConfigLayer {
  let raw: unknown;
  try {
    raw = parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const reason = err instanceof YAMLParseError ? err.message.split('\n')[0]! : String(err);
    throw new ConfigError('ERR_CONFIG_INVALID', `config file ${source} is not valid JSON or YAML: ${reason}`, { option: 'config', value: source }, { cause: err });
  }
  return configLayerFromObject(raw, source);
}

/** Reads and parses `path`; a missing or unreadable file is ERR_CONFIG_INVALID naming it. */
export async function loadConfigFile(path: string): Promise<ServerConfigLayer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError('ERR_CONFIG_INVALID', `option --config: cannot read ${path} (${reason})`, { option: '--config', value: path }, { cause: err });
  }
  return parseConfigText(text, path);
}
