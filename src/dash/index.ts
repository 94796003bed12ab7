export type { AdaptationSet, Descriptor, Mpd, Period, ProducerReferenceTime, Representation, SegmentTemplate, ServiceDescription, TimelineEntry, UtcTiming } from './mpd-model.js';
export { renderMpd, escapeAttribute } from './render-mpd.js';
export { xsDateTime, xsDuration, decimalSeconds } from './xs-time.js';
export { LiveDashPresentation, DASH_PROFILES, UTC_TIMING_SCHEME, SUGGESTED_PRESENTATION_DELAY_SEGMENTS } from './live-mpd.js';
export type { DashAnchor, LiveMpdResult } from './live-mpd.js';
export { timelineEntries, lowLatencyRefusal, frameRateText, LL_GRID_REANCHOR_FRACTION, LL_GRID_DURATION_TOLERANCE } from './live-rules.js';
export type { DashRendition, DashTimeline, DashTrack, LiveSegment as DashSegment, LiveMpdOptions, LowLatencyDashOptions } from './live-input.js';
export { staticMpd } from './static-mpd.js';
export type { StaticDashRendition, StaticMpdOptions } from './static-mpd.js';
