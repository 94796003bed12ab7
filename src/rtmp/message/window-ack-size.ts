import { controlMessage, u32Body } from './control-body.js';
import { MessageType, type RtmpMessage } from './rtmp-message.js';

/** RTMP 5.4.4 Window Acknowledgement Size: how many bytes the peer may receive before acknowledging. */
export function windowAckSizeMessage(windowBytes: number): RtmpMessage {
  return controlMessage(MessageType.WINDOW_ACK_SIZE, u32Body(windowBytes));
}
