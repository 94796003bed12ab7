import type { TSchema } from '@sinclair/typebox';
import { inRange, invalidOption, rangeText, streamNameProblem, type NumberRange } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { templateProblem } from '../server/recorder-options.js';

/**
 * The config file's sections (control-config.ts) are TypeBox schemas: plain JSON Schema that also
 * gives their TypeScript types. This file walks the small subset they are written in (closed
 * objects, records keyed by name, lists, unions of objects told apart by `type`, unions of
 * constants, strings, numbers, booleans) to check a parsed file with messages naming the key path
 * (`auth.apps.live.strategies[0].keys[1]`) and to derive each key's TIDECAST_* variable
 * (config-env.ts applies the environment's). The example file (config-example.ts) walks the same
 * schemas: a key is described once.
 *
 * Annotations besides JSON Schema's (`title`, `description`, `default`, `examples`, `minLength`,
 * `minItems`, `minimum`, `maximum`): `secret: true` (a message never shows the value);
 * `format` 'url' (http or https), 'key' (`sha256:<64 hex>` or a plain stream key), 'token'
 * (`sha256:<64 hex>` or a plain token of at least `minLength` characters), 'event' (a webhook event type,
 * or a prefix ending in `*`), 'template' (a recording path template: recorder-options.ts),
 * 'app-pattern' and 'key-pattern' (an app name or `app/key` with `*` wildcards); `names: 'app'` on a record (keyed by app names or `*`).
 */

export interface SchemaNode {
  readonly type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  readonly title?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly patternProperties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
  readonly const?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly minItems?: number;
  readonly secret?: boolean;
  readonly format?: 'url' | 'key' | 'token' | 'event' | 'template' | 'app-pattern' | 'key-pattern';
  readonly names?: 'app';
}

/** A TypeBox schema as the walker reads it. */
export function schemaNode(schema: TSchema): SchemaNode {
  return schema as SchemaNode;
}

export type Shape = 'enum' | 'variants' | 'object' | 'record' | 'list' | 'scalar';

export function shapeOf(node: SchemaNode): Shape {
  if (node.anyOf !== undefined) return node.anyOf.every((m) => m.const !== undefined) ? 'enum' : 'variants';
  if (node.type === 'object') return node.patternProperties !== undefined ? 'record' : 'object';
  return node.type === 'array' ? 'list' : 'scalar';
}

/** A record's value schema (TypeBox writes Record<string, T> as one pattern). */
export function recordValue(node: SchemaNode): SchemaNode {
  return Object.values(node.patternProperties ?? {})[0]!;
}

/** The member of a union of objects that `value.type` names, if any. */
export function variantOf(node: SchemaNode, value: unknown): SchemaNode | undefined {
  const tag = isMapping(value) ? value['type'] : undefined;
  return node.anyOf?.find((m) => m.properties?.['type']?.const === tag);
}

export function variantTags(node: SchemaNode): string[] {
  return (node.anyOf ?? []).map((m) => String(m.properties?.['type']?.const));
}

/** A key's place: as messages write it (`auth.apps.live.strategies[0]`) and as its variable (`TIDECAST_AUTH_APPS_LIVE_STRATEGIES_0`). */
export interface ConfigPath {
  readonly text: string;
  readonly env: string;
}

export const ROOT_PATH: ConfigPath = { text: '', env: 'TIDECAST' };

/** A named property: `allowCacheMs` → `.allowCacheMs`, `_ALLOW_CACHE_MS`. */
export function propertyPath(parent: ConfigPath, name: string): ConfigPath {
  return { text: parent.text === '' ? name : `${parent.text}.${name}`, env: `${parent.env}_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}` };
}

/** A record's entry: `live` → `.live`, `_LIVE`; `*` → `.*`, `_ANY`; other characters → `_`. */
export function entryPath(parent: ConfigPath, key: string): ConfigPath {
  const text = /^[\w*-]+$/.test(key) ? `${parent.text}.${key}` : `${parent.text}[${JSON.stringify(key)}]`;
  return { text, env: `${parent.env}_${key === '*' ? 'ANY' : key.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}` };
}

export function itemPath(parent: ConfigPath, index: number): ConfigPath {
  return { text: `${parent.text}[${index}]`, env: `${parent.env}_${index}` };
}

/** The variable of a top-level key: `rtmpPort` → TIDECAST_RTMP_PORT. */
export function envVariable(key: string): string {
  return propertyPath(ROOT_PATH, key).env;
}

/** A config value as a message shows it: strings quoted, so `"8080"` is told apart from 8080. */
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'a mapping' : String(value);
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How a message names a key: `auth.allowCacheMs in tidecast.yaml`, or the variable that set it. */
export type KeyLabel = (path: ConfigPath) => string;

const HASH = /^sha256:[0-9a-f]{64}$/i;
export const WEBHOOK_EVENT_TYPES = ['stream.started', 'stream.ended', 'stream.health_changed', 'session.opened', 'session.closed', 'upload.completed', 'upload.failed'] as const;
/** Event families of later features: any `job.<name>` and `recording.<name>`. */
const WEBHOOK_EVENT_FAMILIES = ['job.', 'recording.'] as const;

/** Whether `value` is a `sha256:<64 hex>` hash (hashKey's form). */
export function isKeyHash(value: string): boolean {
  return HASH.test(value);
}

function formatOk(format: SchemaNode['format'], value: string): boolean {
  switch (format) {
    case 'url': {
      const url = URL.canParse(value) ? new URL(value) : undefined;
      return url?.protocol === 'http:' || url?.protocol === 'https:';
    }
    case 'key':
      return value.startsWith('sha256:') ? isKeyHash(value) : streamNameProblem(value) === undefined;
    case 'token':
      // A plain token's floor is the node's minLength, checked with every string's.
      return !value.startsWith('sha256:') || isKeyHash(value);
    case 'event': {
      const families = [...WEBHOOK_EVENT_TYPES, ...WEBHOOK_EVENT_FAMILIES];
      if (value.endsWith('*')) return families.some((f) => f.startsWith(value.slice(0, -1)) || value.slice(0, -1).startsWith(f));
      return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value) || WEBHOOK_EVENT_FAMILIES.some((f) => value.startsWith(f) && /^[a-z_]+$/.test(value.slice(f.length)));
    }
    case 'template':
      return templateProblem(value) === undefined;
    case 'app-pattern':
      return PATTERN.test(value);
    case 'key-pattern':
      return value.split('/').length === 2 && value.split('/').every((part) => PATTERN.test(part));
    default:
      return true;
  }
}

/** A name pattern of the `record` section: stream name characters and `*`. */
const PATTERN = /^[A-Za-z0-9._*-]+$/;

function oneOf(values: readonly unknown[]): string {
  const words = values.map(String);
  return words.length === 2 ? `${words[0]} or ${words[1]}` : `one of ${words.join(', ')}`;
}

function numberRange(node: SchemaNode): NumberRange {
  return { integer: node.type === 'integer', min: node.minimum ?? -Number.MAX_VALUE, max: node.maximum ?? Number.MAX_VALUE };
}

/** What a value of `node` must be, for `option … must be <this>, got …`. */
export function expectedText(node: SchemaNode): string {
  switch (shapeOf(node)) {
    case 'enum':
      return oneOf(node.anyOf!.map((m) => m.const));
    case 'variants':
      return `a mapping with type ${oneOf(variantTags(node))}`;
    case 'object':
    case 'record':
      return 'a mapping';
    case 'list':
      return node.minItems === undefined ? 'a list' : `a list of at least ${node.minItems} (${expectedText(node.items!)} each)`;
    case 'scalar':
      break;
  }
  if (node.type === 'boolean') return 'true or false';
  if (node.type === 'number' || node.type === 'integer') return rangeText(numberRange(node));
  switch (node.format) {
    case 'url':
      return 'an http:// or https:// URL';
    case 'key':
      return 'a sha256:<64 hex digits> hash or a plain stream key ([A-Za-z0-9._-], not starting with .)';
    case 'token':
      return `a sha256:<64 hex digits> hash or a plain token of at least ${node.minLength ?? 1} characters`;
    case 'template':
      return 'a path of literal text (A-Z a-z 0-9 . _ - /) and the tokens %app %key %Y %m %d %H %M %S %f %s';
    case 'app-pattern':
      return 'an app name pattern ([A-Za-z0-9._-] and *)';
    case 'key-pattern':
      return 'an app/key pattern ([A-Za-z0-9._-] and *, one /)';
    case 'event':
      return `a webhook event type (${WEBHOOK_EVENT_TYPES.join(', ')}, job.<name>, recording.<name>) or a prefix ending in *`;
    default:
      return (node.minLength ?? 1) > 1 ? `a string of at least ${node.minLength} characters` : 'a non-empty string';
  }
}

/** A value as a message may show it: a secret only by its length. */
function shown(node: SchemaNode, value: unknown): string {
  return node.secret === true && typeof value === 'string' ? `a secret of ${value.length} characters (not shown)` : describeValue(value);
}

/** A key that holds one value or a list of them: it has a variable of its own. */
export function isLeaf(node: SchemaNode): boolean {
  const shape = shapeOf(node);
  return shape === 'scalar' || shape === 'enum' || (shape === 'list' && ['scalar', 'enum'].includes(shapeOf(node.items!)));
}

/**
 * `value` checked against `node`, returned as it is; the first problem throws ERR_CONFIG_INVALID
 * naming the key by `label` (its path and the file, or its variable), what it must be and what it
 * is. `required` false leaves out the check that required keys are there: a file's keys are
 * checked as it is read, its required ones once the environment is over it (a secret may come
 * from a variable alone).
 */
export function checkValue(node: SchemaNode, value: unknown, path: ConfigPath, label: KeyLabel, required = true): unknown {
  const refuse = (): never => {
    throw invalidOption(label(path), expectedText(node), shown(node, value));
  };
  switch (shapeOf(node)) {
    case 'enum':
      if (!node.anyOf!.some((m) => m.const === value)) refuse();
      return value;
    case 'variants': {
      if (!isMapping(value)) return refuse();
      const variant = variantOf(node, value);
      if (variant === undefined) throw invalidOption(label(propertyPath(path, 'type')), oneOf(variantTags(node)), describeValue(value['type']));
      return checkObject(variant, value, path, label, required, `a ${String(value['type'])} ${node.title ?? 'entry'}`);
    }
    case 'object':
      if (!isMapping(value)) return refuse();
      return checkObject(node, value, path, label, required);
    case 'record':
      if (!isMapping(value)) return refuse();
      for (const [key, entry] of Object.entries(value)) {
        const at = entryPath(path, key);
        if (node.names === 'app' && key !== '*' && streamNameProblem(key) !== undefined) {
          throw invalidOption(label(at), 'named by an app name ([A-Za-z0-9._-], not starting with .) or *', JSON.stringify(key));
        }
        checkValue(recordValue(node), entry, at, label, required);
      }
      return value;
    case 'list':
      if (!Array.isArray(value) || value.length < (node.minItems ?? 0)) return refuse();
      value.forEach((item, i) => checkValue(node.items!, item, itemPath(path, i), label, required));
      return value;
    case 'scalar':
      break;
  }
  if (node.type === 'boolean') return typeof value === 'boolean' ? value : refuse();
  if (node.type === 'number' || node.type === 'integer') return inRange(value, numberRange(node)) ? value : refuse();
  if (typeof value !== 'string' || value.trim() === '' || value.length < (node.minLength ?? 1) || !formatOk(node.format, value)) return refuse();
  return value;
}

/** A closed object: no unknown key, every required one present, each checked. `what` names a union's member in the list of known keys. */
function checkObject(node: SchemaNode, value: Record<string, unknown>, path: ConfigPath, label: KeyLabel, required: boolean, what?: string): Record<string, unknown> {
  const properties = node.properties ?? {};
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(properties, key)) {
      const known = Object.keys(properties).join(', ');
      throw new ConfigError('ERR_CONFIG_INVALID', `unknown option ${label(propertyPath(path, key))}; known options${what === undefined ? '' : ` of ${what}`}: ${known}`, {
        option: propertyPath(path, key).text,
        value: describeValue(value[key]),
      });
    }
  }
  for (const key of required ? (node.required ?? []) : []) {
    if (value[key] !== undefined) continue;
    const at = propertyPath(path, key);
    const where = isLeaf(properties[key]!) ? `in the config file or by ${at.env}` : 'in the config file';
    throw invalidOption(label(at), `set (${where}): ${expectedText(properties[key]!)}`, 'nothing');
  }
  for (const [key, item] of Object.entries(value)) checkValue(properties[key]!, item, propertyPath(path, key), label, required);
  return value;
}
