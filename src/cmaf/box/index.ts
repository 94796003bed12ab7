export {
  type Box,
  BOX_HEADER_BYTES,
  FULL_BOX_HEADER_BYTES,
  fourcc,
  leafBox,
  fullBox,
  containerBox,
  encodeBoxes,
  writeBox,
  allocateOwned,
} from './box.js';
export { type Brands, ftyp } from './ftyp.js';
export { styp } from './styp.js';
export { mvhd, type MvhdFields } from './mvhd.js';
export { tkhd, type TkhdFields, TKHD_TRACK_ENABLED, TKHD_TRACK_IN_MOVIE } from './tkhd.js';
export { mdhd, type MdhdFields, packLanguage } from './mdhd.js';
export { hdlr, type HandlerType } from './hdlr.js';
export { vmhd } from './vmhd.js';
export { smhd } from './smhd.js';
export { dinf } from './dinf.js';
export { stbl } from './stbl.js';
export { stsd } from './stsd.js';
export { visualSampleEntry, configurationBox, type VisualSampleEntryFields, type VisualSampleEntryType } from './visual-sample-entry.js';
export { pasp } from './pasp.js';
export { mp4a, type Mp4aFields, needsAudioSampleEntryV1, fittingRate } from './mp4a.js';
export { esds, type EsdsFields } from './esds.js';
export { mvex, trex } from './mvex.js';
export { mfhd } from './mfhd.js';
export { tfhd, type TfhdFields, TFHD_DEFAULT_BASE_IS_MOOF } from './tfhd.js';
export { tfdt } from './tfdt.js';
export { trun, trunByteLength, planTrackRun, type TrackRunPlan } from './trun.js';
export { SYNC_SAMPLE_FLAGS, NON_SYNC_SAMPLE_FLAGS, sampleFlags } from './sample-flags.js';
export { mdatHeader } from './mdat.js';
