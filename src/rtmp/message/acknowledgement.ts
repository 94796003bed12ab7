import { controlMessage, u32Body } from './control-body.js';
import { MessageType, type RtmpMessage } from './rtmp-message.js';

/** RTMP 5.4.3 Acknowledgement: the sequence number is the byte count received so far, modulo 2^32. */
export function acknowledgementMessage(bytesReceived: number): RtmpMessage {
  return controlMessage(MessageType.ACKNOWLEDGEMENT, u32Body(bytesReceived % 0x100000000));
}
