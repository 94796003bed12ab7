export { MessageType, ChunkStreamId } from './rtmp-message.js';
export type { RtmpMessage, MessageTypeId } from './rtmp-message.js';
export * from './protocol-control.js';
export * from './user-control.js';
export * from './command.js';
export * from './data.js';
