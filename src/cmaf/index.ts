/**
 * tidecast/cmaf — CMAF (ISO/IEC 23000-19) packaging: the header (init segment) of a track and its
 * fragments, written by the ISOBMFF (ISO/IEC 14496-12) box writers of ./box/.
 */
export { initSegment, CMAF_HEADER_BRANDS, MULTI_TRACK_HEADER_BRANDS, MOVIE_TIMESCALE } from './init-segment.js';
export { fragment, writeFragment, CMAF_SEGMENT_BRANDS } from './fragment.js';
export type { Fragment, FragmentInput } from './fragment.js';
export type { Brands } from './box/index.js';
export { SYNC_SAMPLE_FLAGS, NON_SYNC_SAMPLE_FLAGS } from './box/index.js';
export * from './segmenter.js';
export { CmafError } from '../errors/index.js';
