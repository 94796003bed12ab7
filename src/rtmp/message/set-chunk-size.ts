import { controlMessage, u32Body } from './control-body.js';
import { MessageType, type RtmpMessage } from './rtmp-message.js';

/** RTMP 5.4.1 Set Chunk Size: bit 31 is reserved and must be 0. Read with readControlValue. */
export function setChunkSizeMessage(size: number): RtmpMessage {
  return controlMessage(MessageType.SET_CHUNK_SIZE, u32Body(size & 0x7fffffff));
}
