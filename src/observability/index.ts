export { StreamHealthAnalyzer } from './health-analyzer.js';
export type { EncoderMetadata, HealthAnalyzerOptions, HealthFrame, HealthTrack } from './health-analyzer.js';
export { sortFindings, statusOf } from './health-finding.js';
export type { HealthFinding, HealthFindingType, HealthMeasures, HealthReport, HealthSeverity, HealthStatus } from './health-finding.js';
