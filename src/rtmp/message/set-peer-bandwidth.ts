import { readU32Body, writeU32 } from './control-body.js';

/** RTMP 5.4.5 Set Peer Bandwidth limit types. */
export const PeerBandwidthLimit = { HARD: 0, SOFT: 1, DYNAMIC: 2 } as const;
export type PeerBandwidthLimitType = (typeof PeerBandwidthLimit)[keyof typeof PeerBandwidthLimit];

/** RTMP 5.4.5 Set Peer Bandwidth: a window size and a limit type. */
export interface PeerBandwidth {
  windowBytes: number;
  limitType: number;
}

export function encodePeerBandwidth(m: PeerBandwidth): Uint8Array {
  const b = new Uint8Array(5);
  writeU32(b, 0, m.windowBytes);
  b[4] = m.limitType;
  return b;
}

export function decodePeerBandwidth(payload: Uint8Array): PeerBandwidth {
  const windowBytes = readU32Body(payload, 'Set Peer Bandwidth', 6);
  // Some clients send the 4-byte form without a limit type; dynamic is the harmless reading.
  return { windowBytes, limitType: payload[4] ?? PeerBandwidthLimit.DYNAMIC };
}
