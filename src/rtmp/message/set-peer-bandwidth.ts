import { controlMessage, readControlValue } from './control-body.js';
import { MessageType, type RtmpMessage } from './rtmp-message.js';

/** RTMP 5.4.5 Set Peer Bandwidth limit types. */
export const PeerBandwidthLimit = { HARD: 0, SOFT: 1, DYNAMIC: 2 } as const;
export type PeerBandwidthLimitType = (typeof PeerBandwidthLimit)[keyof typeof PeerBandwidthLimit];

export interface PeerBandwidth {
  windowBytes: number;
  limitType: number;
}

/** RTMP 5.4.5 Set Peer Bandwidth: a window size and a limit type. */
export function setPeerBandwidthMessage(windowBytes: number, limitType: PeerBandwidthLimitType): RtmpMessage {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32BE(windowBytes >>> 0, 0);
  b[4] = limitType;
  return controlMessage(MessageType.SET_PEER_BANDWIDTH, b);
}

export function readPeerBandwidth(m: RtmpMessage): PeerBandwidth {
  const windowBytes = readControlValue(m);
  // Some clients send the 4-byte form without a limit type; dynamic is the harmless reading.
  return { windowBytes, limitType: m.payload[4] ?? PeerBandwidthLimit.DYNAMIC };
}
