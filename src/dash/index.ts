export type { AdaptationSet, Descriptor, Mpd, Period, ProducerReferenceTime, Representation, SegmentTemplate, ServiceDescription, TimelineEntry, UtcTiming } from './mpd-model.js';
export { renderMpd, escapeAttribute } from './render-mpd.js';
export { xsDateTime, xsDuration, decimalSeconds } from './xs-time.js';
export {
  LiveDashPresentation,
  timelineEntries,
  lowLatencyRefusal,
  frameRateText,
  DASH_PROFILES,
  UTC_TIMING_SCHEME,
  SUGGESTED_PRESENTATION_DELAY_SEGMENTS,
  LL_GRID_REANCHOR_FRACTION,
  LL_GRID_DURATION_TOLERANCE,
} from './live-mpd.js';
export type { DashAnchor, DashRendition, DashTimeline, LiveSegment as DashSegment, LiveMpdOptions, LiveMpdResult, LowLatencyDashOptions } from './live-mpd.js';
