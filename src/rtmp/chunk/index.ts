export { ChunkReader } from './chunk-reader.js';
export { ChunkWriter } from './chunk-writer.js';
export { DEFAULT_CHUNK_READER_LIMITS, INITIAL_CHUNK_SIZE } from './limits.js';
export type { ChunkReaderLimits } from './limits.js';
export { PendingBudget, DEFAULT_MAX_TOTAL_PENDING_BYTES } from './pending-budget.js';
export type { PendingAccount } from './pending-budget.js';
