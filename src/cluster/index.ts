export { isOriginId, sameRoute, START_POSITION } from './registry.js';
export type {
  ClaimLost,
  OriginInfo,
  RefreshResult,
  RegistryHealth,
  RegistryIdentity,
  RouteChange,
  StreamClaim,
  StreamPosition,
  StreamRegistry,
  StreamRegistryEvents,
  StreamRoute,
} from './registry.js';
export { MAX_RETAINED_POSITIONS, MemoryRegistryStore, MemoryStreamRegistry } from './memory-registry.js';
export type { MemoryRegistryOptions } from './memory-registry.js';
export { RedisStreamRegistry } from './redis-registry.js';
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_REFRESH_MS,
  DEFAULT_REGISTRY_PREFIX,
  DEFAULT_RETAIN_MS,
  checkRedisRegistryOptions,
} from './registry-redis-options.js';
export type { RedisRegistryOptions } from './registry-redis-options.js';
export * from './edge-config/index.js';
