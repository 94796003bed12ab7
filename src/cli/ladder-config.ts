import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ConfigError } from '../errors/index.js';
import type { LadderChoice } from '../server/ladder-tier.js';
import { LADDER_PRESETS, LadderSpecError, checkLadderSpec, isRecord, ladderPreset, type LadderSpec } from '../transcode/index.js';

/**
 * `--ladder <preset|file|off>` (TIDECAST_LADDER, `ladder:` in the config file): which streams get
 * an ABR ladder. `off` (the default for `npm start`) transcodes nothing; a preset name (`default`)
 * gives every stream that ladder, capped at its source; anything else is a JSON or YAML file with
 * either one ladder spec (`rungs: […]`) for every stream, or rules chosen per stream, the first
 * that matches winning:
 *
 *   ladders:
 *     - { app: live, key: 'premium-*', ladder: { rungs: [...] } }
 *     - { app: live, ladder: default }
 *     - { key: 'test-*', ladder: off }
 *
 * `key` is a pattern where `*` stands for any run of characters. Every ladder in the file is
 * checked at start, each problem named by its path in the file.
 */

export const LADDER_OFF = 'off';

interface LadderRule {
  readonly app: string | undefined;
  readonly key: RegExp | undefined;
  readonly ladder: LadderSpec | undefined;
}

/** The ladder choice `value` names; undefined for `off`. Throws ERR_CONFIG_INVALID naming the option. */
export async function readLadderChoice(value: string): Promise<LadderChoice | undefined> {
  if (value === LADDER_OFF) return undefined;
  if (ladderPreset(value) !== undefined) return value;
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw invalid(value, `neither off, a preset (${Object.keys(LADDER_PRESETS).join(', ')}) nor a readable ladder file (${reason})`, err);
  }
  let raw: unknown;
  try {
    raw = parse(text, { uniqueKeys: true });
  } catch (err) {
    throw invalid(value, `${value} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`, err);
  }
  return ladderChoiceFromObject(raw, value);
}

/** A parsed ladder file → the choice it describes. */
export function ladderChoiceFromObject(raw: unknown, source: string): LadderChoice {
  if (!isRecord(raw)) throw invalid(source, `${source} must hold a ladder spec (rungs: […]) or ladder rules (ladders: […])`);
  if (!('ladders' in raw)) return spec(raw, '', source);
  const keys = Object.keys(raw).filter((k) => k !== 'ladders');
  if (keys.length > 0) throw invalid(source, `${source}: unknown field ${keys[0]} beside ladders`);
  const list = raw['ladders'];
  if (!Array.isArray(list) || list.length === 0) throw invalid(source, `${source}: ladders must be a non-empty list of rules`);
  const rules = list.map((entry, i) => rule(entry, `ladders[${i}]`, source));
  return (app: string, streamKey: string) => rules.find((r) => (r.app === undefined || r.app === app) && (r.key === undefined || r.key.test(streamKey)))?.ladder;
}

function rule(entry: unknown, at: string, source: string): LadderRule {
  if (!isRecord(entry)) throw invalid(source, `${source}: ${at} must be a mapping with app, key and ladder`);
  const unknown = Object.keys(entry).find((k) => k !== 'app' && k !== 'key' && k !== 'ladder');
  if (unknown !== undefined) throw invalid(source, `${source}: ${at}.${unknown} is not a field (app, key, ladder)`);
  const { app, key, ladder } = entry;
  if (app !== undefined && (typeof app !== 'string' || app === '')) throw invalid(source, `${source}: ${at}.app must be an app name`);
  if (key !== undefined && (typeof key !== 'string' || key === '')) throw invalid(source, `${source}: ${at}.key must be a stream key pattern ('*' for any run of characters)`);
  if (ladder === undefined) throw invalid(source, `${source}: ${at}.ladder is missing (a preset name, off, or a spec)`);
  const chosen = ladder === LADDER_OFF ? undefined : typeof ladder === 'string' ? preset(ladder, `${at}.ladder`, source) : spec(ladder, `${at}.ladder`, source);
  return { app: app as string | undefined, key: key === undefined ? undefined : pattern(key as string), ladder: chosen };
}

function preset(name: string, at: string, source: string): LadderSpec {
  const found = ladderPreset(name);
  if (found === undefined) throw invalid(source, `${source}: ${at} names no preset ("${name}"; known: ${Object.keys(LADDER_PRESETS).join(', ')}, or off)`);
  return found;
}

function spec(raw: unknown, at: string, source: string): LadderSpec {
  try {
    return checkLadderSpec(raw);
  } catch (err) {
    if (!(err instanceof LadderSpecError)) throw err;
    const problems = err.problems.map((p) => `${[at, p.path].filter((x) => x !== '').join('.')}: ${p.message}`).join('; ');
    throw invalid(source, `${source}: ${problems}`, err);
  }
}

/** `*` matches any run of characters; everything else stands for itself. */
function pattern(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}


function invalid(value: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError('ERR_CONFIG_INVALID', `option ladder (--ladder): ${message}`, { option: 'ladder', value }, cause === undefined ? undefined : { cause });
}
