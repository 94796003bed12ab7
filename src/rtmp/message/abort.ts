import { controlMessage, u32Body } from './control-body.js';
import { MessageType, type RtmpMessage } from './rtmp-message.js';

/** RTMP 5.4.2 Abort: the peer discards the partly received message of `chunkStreamId`. */
export function abortMessage(chunkStreamId: number): RtmpMessage {
  return controlMessage(MessageType.ABORT, u32Body(chunkStreamId));
}
