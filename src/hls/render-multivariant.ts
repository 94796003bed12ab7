import {
  attributeList,
  checkUri,
  decimalResolution,
  enumeratedString,
  frameRate,
  positiveInteger,
  quotedString,
  quotedUri,
  requiredQuotedString,
  yesNo,
} from './attributes.js';
import { invalid } from './invalid.js';
import type { MultivariantPlaylist, Rendition, VariantStream } from './multivariant-playlist.js';
import { checkRenditionGroups, checkVariantGroups } from './rendition-groups.js';
import { MULTIVARIANT_VERSION_RULES, resolveVersion } from './version.js';

/**
 * renderMultivariantPlaylist: the model to its text (RFC 8216bis 4.4.6). Layout: #EXTM3U,
 * #EXT-X-VERSION, #EXT-X-INDEPENDENT-SEGMENTS, every #EXT-X-MEDIA, then each #EXT-X-STREAM-INF
 * with its URI on the next line. Pure; LF line ends; the text ends with one.
 */
export function renderMultivariantPlaylist(playlist: MultivariantPlaylist): string {
  if (playlist === null || typeof playlist !== 'object' || !Array.isArray(playlist.variants) || playlist.variants.length === 0) {
    throw invalid('variants', 'a multivariant playlist needs at least one variant stream');
  }
  const renditions = playlist.renditions ?? [];
  checkRenditionGroups(renditions);
  playlist.variants.forEach((variant, i) => checkVariantGroups(`variants[${i}]`, variant, renditions));
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${resolveVersion(MULTIVARIANT_VERSION_RULES, playlist)}`];
  if (playlist.independentSegments === true) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  renditions.forEach((rendition, i) => lines.push(mediaTag(`renditions[${i}]`, rendition)));
  playlist.variants.forEach((variant, i) => lines.push(streamInfTag(`variants[${i}]`, variant), checkUri(`variants[${i}].uri`, variant.uri)));
  return lines.join('\n') + '\n';
}

/**
 * 4.4.6.1 EXT-X-MEDIA. TYPE is an enumerated-string and so unquoted (4.2); GROUP-ID, NAME,
 * LANGUAGE, CHANNELS and URI are quoted-strings.
 */
function mediaTag(field: string, rendition: Rendition): string {
  return `#EXT-X-MEDIA:${attributeList([
    ['TYPE', enumeratedString(`${field}.type`, rendition.type, ['AUDIO', 'VIDEO', 'SUBTITLES'])],
    ['GROUP-ID', requiredQuotedString(`${field}.groupId`, rendition.groupId)],
    ['NAME', requiredQuotedString(`${field}.name`, rendition.name)],
    ['LANGUAGE', rendition.language === undefined ? undefined : languageTag(`${field}.language`, rendition.language)],
    ['DEFAULT', yesNo(rendition.default)],
    ['AUTOSELECT', yesNo(rendition.autoselect)],
    ['CHANNELS', rendition.channels === undefined ? undefined : channels(`${field}.channels`, rendition)],
    ['URI', rendition.uri === undefined ? undefined : quotedUri(`${field}.uri`, rendition.uri)],
  ])}`;
}

/** 4.4.6.2 EXT-X-STREAM-INF: BANDWIDTH is REQUIRED; CODECS we always write (a SHOULD we can keep). */
function streamInfTag(field: string, variant: VariantStream): string {
  return `#EXT-X-STREAM-INF:${attributeList([
    ['BANDWIDTH', positiveInteger(`${field}.bandwidth`, variant.bandwidth)],
    ['AVERAGE-BANDWIDTH', variant.averageBandwidth === undefined ? undefined : positiveInteger(`${field}.averageBandwidth`, variant.averageBandwidth)],
    ['CODECS', codecs(`${field}.codecs`, variant.codecs)],
    ['RESOLUTION', variant.resolution === undefined ? undefined : decimalResolution(`${field}.resolution`, variant.resolution.width, variant.resolution.height)],
    ['FRAME-RATE', variant.frameRate === undefined ? undefined : frameRate(`${field}.frameRate`, variant.frameRate)],
    ['AUDIO', variant.audio === undefined ? undefined : quotedString(`${field}.audio`, variant.audio)],
    ['VIDEO', variant.video === undefined ? undefined : quotedString(`${field}.video`, variant.video)],
    ['SUBTITLES', variant.subtitles === undefined ? undefined : quotedString(`${field}.subtitles`, variant.subtitles)],
  ])}`;
}

/**
 * RFC 6381 codec strings are sample entry FourCCs with dot-separated parameters ("avc1.64001f",
 * "mp4a.40.2", "hvc1.1.6.L93.B0", "ec-3"); CODECS joins them with commas (4.4.6.2), so a string
 * holding a comma, a quote or a space would split or break the attribute.
 */
const CODEC_STRING = /^[A-Za-z0-9][A-Za-z0-9.+_-]*$/;

function codecs(field: string, list: readonly string[]): string {
  if (!Array.isArray(list) || list.length === 0) throw invalid(field, 'needs at least one RFC 6381 codec string');
  list.forEach((codec, i) => {
    if (typeof codec !== 'string' || !CODEC_STRING.test(codec)) throw invalid(`${field}[${i}]`, `${JSON.stringify(codec)} is not an RFC 6381 codec string`);
  });
  return quotedString(field, list.join(','));
}

/** LANGUAGE "MUST be one of the language tags in [RFC5646]": here its syntax, letters/digits in '-'-joined subtags. */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;

function languageTag(field: string, language: string): string {
  if (!LANGUAGE_TAG.test(language)) throw invalid(field, `${JSON.stringify(language)} is not an RFC 5646 language tag`);
  return quotedString(field, language);
}

/**
 * 4.4.6.1 CHANNELS: "a slash-separated list of parameters ... The first parameter is a count of
 * audio channels expressed as a decimal-integer"; only meaningful for AUDIO renditions.
 */
function channels(field: string, rendition: Rendition): string {
  const value = rendition.channels!;
  if (rendition.type !== 'AUDIO') throw invalid(field, `CHANNELS applies to AUDIO renditions, not ${rendition.type}`);
  if (!/^[1-9][0-9]*(\/|$)/.test(value)) throw invalid(field, `must start with a channel count, got ${JSON.stringify(value)}`);
  return quotedString(field, value);
}
