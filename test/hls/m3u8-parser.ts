/**
 * A small, strict M3U8 reader for tests only: it checks the structure our renderers promise (one
 * tag or URI per LF-terminated line, attribute lists per RFC 8216bis 4.2 with the value type each
 * attribute has in the spec, no duplicate attribute) and returns the values, so property tests can
 * compare what was rendered with the model. It is an independent reading of the spec, sharing no
 * code with src/hls; any line it does not know is an error, not something to skip.
 */

export type AttributeType = 'quoted' | 'enumerated' | 'integer' | 'float' | 'resolution';
export type Attributes = ReadonlyMap<string, string>;

const ATTRIBUTE_TYPES: Record<string, Record<string, AttributeType>> = {
  'EXT-X-MAP': { URI: 'quoted', BYTERANGE: 'quoted' },
  'EXT-X-PART': { DURATION: 'float', URI: 'quoted', INDEPENDENT: 'enumerated', BYTERANGE: 'quoted', GAP: 'enumerated' },
  'EXT-X-PART-INF': { 'PART-TARGET': 'float' },
  'EXT-X-SERVER-CONTROL': { 'CAN-BLOCK-RELOAD': 'enumerated', 'CAN-SKIP-UNTIL': 'float', 'HOLD-BACK': 'float', 'PART-HOLD-BACK': 'float' },
  'EXT-X-SKIP': { 'SKIPPED-SEGMENTS': 'integer' },
  'EXT-X-PRELOAD-HINT': { TYPE: 'enumerated', URI: 'quoted', 'BYTERANGE-START': 'integer', 'BYTERANGE-LENGTH': 'integer' },
  'EXT-X-RENDITION-REPORT': { URI: 'quoted', 'LAST-MSN': 'integer', 'LAST-PART': 'integer' },
  'EXT-X-MEDIA': { TYPE: 'enumerated', 'GROUP-ID': 'quoted', NAME: 'quoted', LANGUAGE: 'quoted', DEFAULT: 'enumerated', AUTOSELECT: 'enumerated', CHANNELS: 'quoted', URI: 'quoted' },
  'EXT-X-STREAM-INF': {
    BANDWIDTH: 'integer',
    'AVERAGE-BANDWIDTH': 'integer',
    CODECS: 'quoted',
    RESOLUTION: 'resolution',
    'FRAME-RATE': 'float',
    AUDIO: 'quoted',
    VIDEO: 'quoted',
    SUBTITLES: 'quoted',
  },
};

const UNQUOTED: Record<Exclude<AttributeType, 'quoted'>, RegExp> = {
  integer: /^[0-9]+$/,
  float: /^[0-9]+(\.[0-9]+)?$/,
  resolution: /^[0-9]+x[0-9]+$/,
  enumerated: /^[^",\s]+$/,
};

/** 4.2: AttributeName=AttributeValue pairs, comma-separated, no whitespace; values unquoted by type. */
export function parseAttributeList(tag: string, text: string): Attributes {
  const types = ATTRIBUTE_TYPES[tag];
  if (types === undefined) throw new Error(`${tag} takes no attribute list`);
  const out = new Map<string, string>();
  let rest = text;
  while (true) {
    const name = /^[A-Z0-9-]+=/.exec(rest)?.[0].slice(0, -1);
    if (name === undefined) throw new Error(`${tag}: bad attribute name at ${JSON.stringify(rest)}`);
    rest = rest.slice(name.length + 1);
    const type = types[name];
    if (type === undefined) throw new Error(`${tag}: unknown attribute ${name}`);
    if (out.has(name)) throw new Error(`${tag}: attribute ${name} twice (4.2)`);
    let value: string;
    if (type === 'quoted') {
      const m = /^"([^"\r\n]*)"/.exec(rest);
      if (m === null) throw new Error(`${tag}: ${name} must be a quoted-string, got ${JSON.stringify(rest)}`);
      value = m[1]!;
      rest = rest.slice(m[0].length);
    } else {
      value = /^[^,]*/.exec(rest)![0];
      if (!UNQUOTED[type].test(value)) throw new Error(`${tag}: ${name}=${value} is not a ${type}`);
      rest = rest.slice(value.length);
    }
    out.set(name, value);
    if (rest === '') return out;
    if (!rest.startsWith(',')) throw new Error(`${tag}: expected ',' at ${JSON.stringify(rest)}`);
    rest = rest.slice(1);
  }
}

/** Splits the text into lines, checking what every playlist of ours must be (4.1). */
export function playlistLines(text: string): string[] {
  if (!text.endsWith('\n')) throw new Error('the text must end with LF');
  if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(text)) throw new Error('control character or CR in the text (4.1)');
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== '#EXTM3U') throw new Error('the first line must be #EXTM3U (4.4.1.1)');
  if (lines.some((l) => l === '')) throw new Error('empty line');
  return lines.slice(1);
}

export interface Tag {
  readonly name: string;
  /** Text after ':' (undefined for a tag without a value). */
  readonly value: string | undefined;
}

export function parseTagLine(line: string): Tag {
  const m = /^#(EXT[A-Z0-9-]*)(?::(.*))?$/.exec(line);
  if (m === null) throw new Error(`not a tag: ${JSON.stringify(line)}`);
  return { name: m[1]!, value: m[2] };
}

export interface ParsedMultivariant {
  readonly version: number;
  readonly independentSegments: boolean;
  readonly media: Attributes[];
  readonly variants: Array<{ readonly attributes: Attributes; readonly uri: string }>;
}

export function parseMultivariantPlaylist(text: string): ParsedMultivariant {
  const lines = playlistLines(text);
  let version: number | undefined;
  let independentSegments = false;
  const media: Attributes[] = [];
  const variants: Array<{ attributes: Attributes; uri: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const tag = parseTagLine(lines[i]!);
    if (tag.name === 'EXT-X-VERSION' && i === 0) version = Number(tag.value);
    else if (tag.name === 'EXT-X-INDEPENDENT-SEGMENTS' && tag.value === undefined) independentSegments = true;
    else if (tag.name === 'EXT-X-MEDIA') media.push(parseAttributeList(tag.name, tag.value ?? ''));
    else if (tag.name === 'EXT-X-STREAM-INF') {
      const uri = lines[++i];
      if (uri === undefined || uri.startsWith('#')) throw new Error('EXT-X-STREAM-INF must be followed by a URI line (4.4.6.2)');
      variants.push({ attributes: parseAttributeList(tag.name, tag.value ?? ''), uri });
    } else throw new Error(`unexpected line in a multivariant playlist: ${lines[i]}`);
  }
  if (version === undefined) throw new Error('EXT-X-VERSION must be the second line');
  return { version, independentSegments, media, variants };
}
