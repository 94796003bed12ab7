import { readU32Body, u32Body } from './control-body.js';

/** RTMP 5.4.3 Acknowledgement: the sequence number is the byte count received so far, modulo 2^32. */
export interface Acknowledgement {
  sequenceNumber: number;
}

export function encodeAcknowledgement(m: Acknowledgement): Uint8Array {
  return u32Body(m.sequenceNumber % 0x100000000);
}

export function decodeAcknowledgement(payload: Uint8Array): Acknowledgement {
  return { sequenceNumber: readU32Body(payload, 'Acknowledgement', 3) };
}
