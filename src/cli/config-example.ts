import { stringify } from 'yaml';
import { defaultText } from './help.js';
import { ROOT_PATH, entryPath, isLeaf, isMapping, itemPath, propertyPath, recordValue, shapeOf, variantOf, type ConfigPath, type SchemaNode } from './config-schema.js';
import { CONFIG_SECTIONS, CONFIG_SECTION_NAMES } from './control-config.js';
import { DEFAULT_SERVER_CONFIG, SERVER_CONFIG_FIELDS, SERVER_CONFIG_KEYS, type ServerConfigKey } from './server-config.js';

/**
 * The shipped example config file (docs/tidecast.example.yaml, `tidecast config example`),
 * written from the settings' fields and the sections' schemas: every key with its text, its
 * default and its variable. Loaded as it is, it changes nothing (`npm start`'s defaults, auth
 * off). Keys that have no default, and the sections that are off until given, are written
 * commented out with an example value, nginx-style: `#key: value` is a setting to uncomment,
 * `# text` a note. Remove the `#` of a block's lines (and of the lines inside it) to turn it on;
 * test/cli/config-example.test.ts loads both ways.
 */

const WIDTH = 100;

interface Line {
  readonly indent: number;
  readonly text: string;
  /** A note (`# …`), not YAML. */
  readonly note: boolean;
  /** Inside a commented-out block: written after a `#`. */
  readonly off: boolean;
}

const REGENERATE = 'npx tsx src/cli/main.ts config example > docs/tidecast.example.yaml';

const HEADER = [
  'tidecast configuration: tidecast serve --config tidecast.yaml (docs/config.md).',
  'Precedence: flag > environment variable > this file > default. Every key has a variable: TIDECAST_ and its path in capitals (a list as a comma list).',
  'Loaded as it is, this file changes nothing. `#key: value` lines are settings to uncomment (with the lines under them), `# text` lines are notes.',
  'Generated from the schema that checks the file (src/cli/server-config.ts, src/cli/control-config.ts); regenerate with:',
  REGENERATE,
];

export function renderExampleConfig(): string {
  const lines: Line[] = [...HEADER.flatMap((text) => note(0, text, false)), blank()];
  for (const limits of [false, true]) {
    if (limits) lines.push(blank(), ...note(0, "Limits: each one's reason is in docs/limits.md.", false));
    for (const key of SERVER_CONFIG_KEYS.filter((k) => (SERVER_CONFIG_FIELDS[k].limit === true) === limits)) lines.push(...setting(key));
  }
  for (const section of CONFIG_SECTION_NAMES) {
    lines.push(blank(), ...property(section, CONFIG_SECTIONS[section], undefined, propertyPath(ROOT_PATH, section), 0, false));
  }
  return lines.map((l) => `${l.off ? '#' : ''}${' '.repeat(l.indent)}${l.note ? '# ' : ''}${l.text}`.trimEnd()).join('\n') + '\n';
}

/** A flat setting: its help line, its default, variable and flag, and the key. */
function setting(key: ServerConfigKey): Line[] {
  const field = SERVER_CONFIG_FIELDS[key];
  const byDefault = DEFAULT_SERVER_CONFIG[key];
  const value = byDefault ?? field.example;
  if (value === undefined) throw new Error(`setting ${key} has neither a default nor an example`);
  const facts = `(default ${defaultText(key) ?? 'none'}, env ${field.env}, flag ${field.flag})`;
  return [...note(0, `${capitalized(field.help)}.`, false), ...note(0, facts, false), code(0, `${key}: ${scalar(value)}`, byDefault === undefined)];
}

/**
 * One key of a section: its notes, then its value: the one given (from an example around it), else
 * its default, else its example commented out; an object without either is written key by key.
 */
function property(name: string, node: SchemaNode, given: unknown, path: ConfigPath, indent: number, off: boolean, required = false): Line[] {
  let value = given;
  let selfOff = false;
  if (value === undefined) {
    const example = node.examples?.[0];
    if (node.default !== undefined && !(example !== undefined && isEmpty(node.default))) value = node.default;
    else if (example !== undefined) [value, selfOff] = [example, true];
    else if (shapeOf(node) === 'object') selfOff = node.default === undefined;
    else throw new Error(`${path.text} has neither a default nor an example`);
  }
  const lineOff = off || selfOff;
  const lines = notes(node, path, indent, off, required);
  const shape = shapeOf(node);
  if (isLeaf(node)) {
    return [...lines, code(indent, `${name}: ${shape === 'list' ? flow(value as unknown[]) : scalar(value)}`, lineOff)];
  }
  lines.push(code(indent, `${name}:${shape === 'list' && (value as unknown[]).length === 0 ? ' []' : ''}`, lineOff));
  if (shape === 'object') lines.push(...objectBody(node, value, path, indent + 2, lineOff));
  else if (shape === 'record') {
    for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
      lines.push(code(indent + 2, `${scalar(key)}:`, lineOff), ...objectBody(recordValue(node), entry, entryPath(path, key), indent + 4, lineOff));
    }
  } else if (shape === 'list') {
    (value as unknown[]).forEach((item, i) => lines.push(...listItem(node.items!, item, itemPath(path, i), indent + 2, lineOff)));
  }
  return lines;
}

function objectBody(node: SchemaNode, value: unknown, path: ConfigPath, indent: number, off: boolean): Line[] {
  const given = isMapping(value) ? value : {};
  const required = node.required ?? [];
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) =>
    // A union member's `type` is written bare: the member's description above says what it is.
    child.const !== undefined ? [code(indent, `${name}: ${scalar(child.const)}`, off)] : property(name, child, given[name], propertyPath(path, name), indent, off, required.includes(name)),
  );
}

/** `- ` before the first key of an item (its notes moved out to the dash). */
function listItem(node: SchemaNode, item: unknown, path: ConfigPath, indent: number, off: boolean): Line[] {
  const member = shapeOf(node) === 'variants' ? variantOf(node, item)! : node;
  const body = objectBody(member, item, path, indent + 2, off);
  const first = body.findIndex((l) => !l.note);
  const head = body.slice(0, first + 1).map((l, i) => ({ ...l, indent, text: i === first ? `- ${l.text}` : l.text }));
  return [...(member === node ? [] : note(indent, member.description ?? '', off)), ...head, ...body.slice(first + 1)];
}

/** A key's notes: its description, then its default (or that it is required) and its variable where it has them. */
function notes(node: SchemaNode, path: ConfigPath, indent: number, off: boolean, required: boolean): Line[] {
  const shape = shapeOf(node);
  const lines = note(indent, node.description ?? '', off);
  if (!isLeaf(node)) return lines;
  const byDefault = required ? 'required' : `default ${node.default === undefined ? 'none' : shape === 'list' ? flow(node.default as unknown[]) : scalar(node.default)}`;
  const variable = `env ${path.env}${shape === 'list' ? ' as a comma list' : ''}`;
  const secret = node.secret === true || node.items?.secret === true ? ', a secret: better given by the variable' : '';
  return [...lines, ...note(indent, `(${byDefault}, ${variable}${secret})`, off)];
}

function note(indent: number, text: string, off: boolean): Line[] {
  if (text === '') return [];
  const room = WIDTH - indent - 3;
  const lines: Line[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > room) {
        lines.push({ indent, text: line, note: true, off });
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push({ indent, text: line, note: true, off });
  }
  return lines;
}

function code(indent: number, text: string, off: boolean): Line {
  return { indent, text, note: false, off };
}

function blank(): Line {
  return { indent: 0, text: '', note: false, off: false };
}

function scalar(value: unknown): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

function flow(list: readonly unknown[]): string {
  return stringify(list, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
}

function isEmpty(value: unknown): boolean {
  return Array.isArray(value) ? value.length === 0 : isMapping(value) && Object.keys(value).length === 0;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
