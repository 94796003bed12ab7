import { invalidOption } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { checkValue, entryPath, expectedText, isLeaf, isMapping, itemPath, propertyPath, recordValue, shapeOf, variantOf, type ConfigPath, type SchemaNode } from './config-schema.js';

/**
 * The environment's side of the config file: every key has a variable, TIDECAST_ and its path in
 * capitals (config-schema.ts propertyPath, entryPath, itemPath name them), a list of values as a
 * comma list, a boolean as on/off, true/false, yes/no or 1/0. applyEnv lays the variables over a
 * section of the file; configVariables lists them for the docs.
 */

/** The words a flag or an environment variable may say a boolean setting with (case-insensitive). */
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { on: true, off: false, true: true, false: false, yes: true, no: false, '1': true, '0': false };

/** A flag's or a variable's boolean word, or the text itself (refused by the check) when it is none. */
export function booleanWord(raw: string): boolean | string {
  const word = raw.trim().toLowerCase();
  return Object.hasOwn(BOOLEAN_WORDS, word) ? BOOLEAN_WORDS[word]! : raw;
}

/** A variable's text as the value of a scalar (or constant) key, before the check. */
function scalarFromText(node: SchemaNode, raw: string): unknown {
  if (node.type === 'boolean') return booleanWord(raw);
  if (node.type === 'number' || node.type === 'integer') return raw.trim() === '' ? Number.NaN : Number(raw);
  return shapeOf(node) === 'enum' ? raw.trim() : raw;
}

/**
 * `base` (a section of the file, or undefined) with the environment's TIDECAST_* variables over
 * it: one per scalar key, named after its path, a list of scalars as a comma list. Keys at fixed
 * paths may be set without the file; a record's entries and a list's items only where the file
 * has them (TIDECAST_AUTH_APPS_LIVE_STRATEGIES_0_SECRET overrides the secret of the file's first
 * strategy for app `live`). Each value is checked, named by its variable. Returns `base` itself
 * when no variable applies.
 */
export function applyEnv(node: SchemaNode, base: unknown, path: ConfigPath, env: Readonly<Record<string, string | undefined>>): unknown {
  const shape = shapeOf(node);
  if (isLeaf(node)) {
    const raw = env[path.env];
    if (raw === undefined || raw === '') return base;
    const value = shape === 'list' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => scalarFromText(node.items!, s)) : scalarFromText(node, raw);
    try {
      return checkValue(node, value, path, () => path.env, false);
    } catch {
      // Said as the variable's text (`got x`, not `got NaN`), a secret only by its length.
      const secret = node.secret === true || node.items?.secret === true;
      throw invalidOption(path.env, expectedText(node), secret ? `a secret of ${raw.length} characters (not shown)` : raw);
    }
  }
  if (shape === 'object') return applyEnvObject(node, base, path, env);
  if (base === undefined) return undefined;
  if (shape === 'variants') {
    const variant = variantOf(node, base);
    return variant === undefined ? base : applyEnvObject(variant, base, path, env);
  }
  if (shape === 'list') {
    const items = base as unknown[];
    const changed = items.map((item, i) => applyEnv(node.items!, item, itemPath(path, i), env));
    return changed.every((item, i) => item === items[i]) ? base : changed;
  }
  const entries = Object.entries(base as Record<string, unknown>);
  const seen = new Map<string, string>();
  for (const [key] of entries) {
    const variable = entryPath(path, key).env;
    const other = seen.get(variable);
    if (other !== undefined && Object.keys(env).some((name) => name.startsWith(`${variable}_`) && env[name] !== '')) {
      throw new ConfigError('ERR_CONFIG_INVALID', `option ${path.text}: the entries ${JSON.stringify(other)} and ${JSON.stringify(key)} share the variables ${variable}_*; rename one to set either from the environment`, { option: path.text, value: key });
    }
    seen.set(variable, key);
  }
  const changed = entries.map(([key, entry]) => [key, applyEnv(recordValue(node), entry, entryPath(path, key), env)] as const);
  return changed.every(([key, entry]) => entry === (base as Record<string, unknown>)[key]) ? base : Object.fromEntries(changed);
}

function applyEnvObject(node: SchemaNode, base: unknown, path: ConfigPath, env: Readonly<Record<string, string | undefined>>): unknown {
  const given = isMapping(base) ? base : undefined;
  const result: Record<string, unknown> = { ...given };
  let changed = false;
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    // The `type` of a union's member says which member it is: not a setting of its own.
    if (child.const !== undefined) continue;
    const before = given?.[key];
    const after = applyEnv(child, before, propertyPath(path, key), env);
    if (after === before) continue;
    result[key] = after;
    changed = true;
  }
  return changed ? result : base;
}

/**
 * Every variable of `node`'s keys under `path`, in order: a record's entries and a list's items
 * as placeholders (`TIDECAST_AUTH_APPS_<APP>_COMBINE`, `…_STRATEGIES_<N>_SECRET`), with each
 * key's path and whether it is a comma list. For docs/config.md's table and its test.
 */
export function configVariables(node: SchemaNode, path: ConfigPath): Array<{ variable: string; key: string; list: boolean }> {
  const shape = shapeOf(node);
  if (isLeaf(node)) return [{ variable: path.env, key: path.text, list: shape === 'list' }];
  const placeholder = (name: string): ConfigPath => ({ text: `${path.text}.<${name.toLowerCase()}>`, env: `${path.env}_<${name}>` });
  if (shape === 'record') return configVariables(recordValue(node), placeholder(node.names === 'app' ? 'APP' : 'NAME'));
  if (shape === 'list') return configVariables(node.items!, { text: `${path.text}[<n>]`, env: `${path.env}_<N>` });
  const members = shape === 'variants' ? node.anyOf! : [node];
  const all = members.flatMap((m) =>
    Object.entries(m.properties ?? {})
      .filter(([, child]) => child.const === undefined)
      .flatMap(([key, child]) => configVariables(child, propertyPath(path, key))),
  );
  // Union members share some keys' names (their variables are the same): each is listed once.
  return all.filter((v, i) => all.findIndex((w) => w.variable === v.variable) === i);
}
