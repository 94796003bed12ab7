import { invalid } from './invalid.js';
import type { Rendition, RenditionType, VariantStream } from './multivariant-playlist.js';

/**
 * Rendition group rules (RFC 8216bis 4.4.6.1.1, 4.4.6.2): the checks that relate several
 * EXT-X-MEDIA tags to each other and to the variants that refer to them.
 */

export function checkRenditionGroups(renditions: readonly Rendition[]): void {
  renditions.forEach((rendition, i) => {
    checkAutoselect(`renditions[${i}]`, rendition);
    const earlier = renditions.slice(0, i).filter((r) => r.type === rendition.type && r.groupId === rendition.groupId);
    // 4.4.6.1.1: "All EXT-X-MEDIA tags in the same Group MUST have different NAME attributes."
    if (earlier.some((r) => r.name === rendition.name)) {
      throw invalid(`renditions[${i}].name`, `NAME ${JSON.stringify(rendition.name)} appears twice in group ${JSON.stringify(rendition.groupId)} (RFC 8216bis 4.4.6.1.1)`);
    }
    // 4.4.6.1.1: "A Group MUST NOT have more than one member with a DEFAULT attribute of YES."
    if (rendition.default === true && earlier.some((r) => r.default === true)) {
      throw invalid(`renditions[${i}].default`, `group ${JSON.stringify(rendition.groupId)} has more than one DEFAULT=YES rendition (RFC 8216bis 4.4.6.1.1)`);
    }
  });
}

/** 4.4.6.1: "If the AUTOSELECT attribute is present, its value MUST be YES if the value of the DEFAULT attribute is YES." */
function checkAutoselect(field: string, rendition: Rendition): void {
  if (rendition.default === true && rendition.autoselect === false) {
    throw invalid(`${field}.autoselect`, 'AUTOSELECT=NO with DEFAULT=YES (RFC 8216bis 4.4.6.1)');
  }
}

const GROUP_ATTRIBUTES: ReadonlyArray<readonly [keyof VariantStream & ('audio' | 'video' | 'subtitles'), RenditionType]> = [
  ['audio', 'AUDIO'],
  ['video', 'VIDEO'],
  ['subtitles', 'SUBTITLES'],
];

/**
 * 4.4.6.2 AUDIO (likewise VIDEO, SUBTITLES): "It MUST match the value of the GROUP-ID attribute of
 * an EXT-X-MEDIA tag elsewhere in the Multivariant Playlist whose TYPE attribute is AUDIO."
 */
export function checkVariantGroups(field: string, variant: VariantStream, renditions: readonly Rendition[]): void {
  for (const [attribute, type] of GROUP_ATTRIBUTES) {
    const groupId = variant[attribute];
    if (groupId === undefined) continue;
    if (!renditions.some((r) => r.type === type && r.groupId === groupId)) {
      throw invalid(`${field}.${attribute}`, `no EXT-X-MEDIA with TYPE=${type} and GROUP-ID ${JSON.stringify(groupId)} (RFC 8216bis 4.4.6.2)`);
    }
  }
}
