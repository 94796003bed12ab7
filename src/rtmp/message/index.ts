export { MessageType, ChunkStreamId } from './rtmp-message.js';
export type { RtmpMessage, RtmpMessageHeader, SplitBody, MessageTypeId } from './rtmp-message.js';
export { MESSAGE_TABLE, decodeMessage, encodeMessage, messageKind } from './message-table.js';
export type { MessageBodies, MessageKind, MessageOf, TypedMessage } from './message-table.js';
export {
  setChunkSizeMessage,
  abortMessage,
  acknowledgementMessage,
  windowAckSizeMessage,
  setPeerBandwidthMessage,
  userControlMessage,
  commandMessage,
  onStatusMessage,
  dataMessage,
  decodeCommand,
  decodeData,
  readControlValue,
  readUserControl,
  readPeerBandwidth,
} from './builders.js';
export { MAX_CHUNK_SIZE } from './set-chunk-size.js';
export type { SetChunkSize } from './set-chunk-size.js';
export type { Abort } from './abort.js';
export type { Acknowledgement } from './acknowledgement.js';
export type { WindowAckSize } from './window-ack-size.js';
export { PeerBandwidthLimit } from './set-peer-bandwidth.js';
export type { PeerBandwidth, PeerBandwidthLimitType } from './set-peer-bandwidth.js';
export { UserControlEvent } from './user-control.js';
export type { UserControl } from './user-control.js';
export type { Command, StatusInfo } from './command.js';
export type { DataValues } from './data.js';
export type { OpaqueBody } from './opaque.js';
export { stripSetDataFrame } from './data.js';
