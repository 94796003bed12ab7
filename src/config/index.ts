export { DEFAULT_SERVER_CONFIG, SERVER_CONFIG_FIELDS, configLayerFromEnv, configLayerFromObject, configLayerFromStrings, limitsHelp, resolveServerConfig } from './server-config.js';
export type { ServerConfig, ServerConfigKey, ServerConfigLayer } from './server-config.js';
export { loadConfigFile, parseConfigText } from './config-file.js';
export { checkIntegerOption } from './check-option.js';
export { MAX_STREAM_NAME_LENGTH, isValidStreamName, streamNameProblem } from './stream-name-rule.js';
export { ConnectionSlots } from './connection-slots.js';
