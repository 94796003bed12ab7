export { removeEmulationPrevention, addEmulationPrevention } from './emulation-prevention.js';
export { splitNalUnits, joinNalUnits, someNalUnit, checkNalLengthSize } from './length-prefixed.js';
export type { NalLengthSize } from './length-prefixed.js';
export { splitAnnexB, annexBToAvcc, avccToAnnexB } from './annex-b.js';
