import type { AdaptationSet, Descriptor, Mpd, Period, ProducerReferenceTime, Representation, SegmentTemplate, ServiceDescription, UtcTiming } from './mpd-model.js';
import { decimalSeconds, xsDateTime, xsDuration } from './xs-time.js';

/**
 * Renders an MPD as XML text. Elements follow the sequences of the schema (ISO/IEC 23009-1
 * Annex B, DASH-MPD.xsd): in MPD, ServiceDescription before the Periods and UTCTiming after them;
 * in AdaptationSet, SupplementalProperty and ProducerReferenceTime (RepresentationBaseType)
 * before Representation; in Representation, AudioChannelConfiguration before SegmentTemplate; in
 * SegmentTemplate, SegmentTimeline last. Attributes in a fixed order, so a given model always
 * renders to the same text (tests compare exact strings).
 */
export function renderMpd(mpd: Mpd): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    open('MPD', [
      ['xmlns', 'urn:mpeg:dash:schema:mpd:2011'],
      ['type', mpd.type],
      ['profiles', mpd.profiles.join(',')],
      ['availabilityStartTime', mpd.availabilityStartTimeMs === undefined ? undefined : xsDateTime(mpd.availabilityStartTimeMs)],
      ['publishTime', mpd.publishTimeMs === undefined ? undefined : xsDateTime(mpd.publishTimeMs)],
      ['mediaPresentationDuration', duration(mpd.mediaPresentationDurationSeconds)],
      ['minimumUpdatePeriod', duration(mpd.minimumUpdatePeriodSeconds)],
      ['timeShiftBufferDepth', duration(mpd.timeShiftBufferDepthSeconds)],
      ['suggestedPresentationDelay', duration(mpd.suggestedPresentationDelaySeconds)],
      ['minBufferTime', xsDuration(mpd.minBufferTimeSeconds)],
      ['maxSegmentDuration', duration(mpd.maxSegmentDurationSeconds)],
    ]),
  );
  if (mpd.serviceDescription !== undefined) lines.push(...serviceDescription(mpd.serviceDescription, '  '));
  for (const period of mpd.periods) lines.push(...renderPeriod(period, '  '));
  for (const timing of mpd.utcTimings) lines.push(utcTiming(timing, '  '));
  lines.push('</MPD>');
  return `${lines.join('\n')}\n`;
}

type Attribute = readonly [name: string, value: string | number | undefined];

function attributes(list: readonly Attribute[]): string {
  return list
    .filter((a): a is readonly [string, string | number] => a[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeAttribute(String(value))}"`)
    .join('');
}

function open(name: string, list: readonly Attribute[], indent = ''): string {
  return `${indent}<${name}${attributes(list)}>`;
}

function empty(name: string, list: readonly Attribute[], indent: string): string {
  return `${indent}<${name}${attributes(list)}/>`;
}

/** XML attribute text: &, <, > and the double quote escaped (values are ours, but never trusted to be plain). */
export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

function duration(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : xsDuration(seconds);
}

function serviceDescription(sd: ServiceDescription, indent: string): string[] {
  return [
    open('ServiceDescription', [['id', sd.id]], indent),
    empty('Latency', [['target', sd.latency.targetMs], ['min', sd.latency.minMs], ['max', sd.latency.maxMs]], `${indent}  `),
    empty('PlaybackRate', [['min', sd.playbackRate.min], ['max', sd.playbackRate.max]], `${indent}  `),
    `${indent}</ServiceDescription>`,
  ];
}

function utcTiming(timing: UtcTiming, indent: string): string {
  return empty('UTCTiming', [['schemeIdUri', timing.schemeIdUri], ['value', timing.value]], indent);
}

function descriptor(name: string, d: Descriptor, indent: string): string {
  return empty(name, [['schemeIdUri', d.schemeIdUri], ['value', d.value]], indent);
}

function renderPeriod(period: Period, indent: string): string[] {
  const lines = [open('Period', [['id', period.id], ['start', xsDuration(period.startSeconds)], ['duration', duration(period.durationSeconds)]], indent)];
  for (const set of period.adaptationSets) lines.push(...adaptationSet(set, `${indent}  `));
  lines.push(`${indent}</Period>`);
  return lines;
}

function adaptationSet(set: AdaptationSet, indent: string): string[] {
  const lines = [
    open(
      'AdaptationSet',
      [
        ['id', set.id],
        ['contentType', set.contentType],
        ['mimeType', set.mimeType],
        ['lang', set.lang],
        ['segmentAlignment', set.segmentAlignment ? 'true' : 'false'],
        ['startWithSAP', set.startWithSap],
        ['maxWidth', set.maxWidth],
        ['maxHeight', set.maxHeight],
      ],
      indent,
    ),
  ];
  const inner = `${indent}  `;
  for (const p of set.supplementalProperties ?? []) lines.push(descriptor('SupplementalProperty', p, inner));
  if (set.producerReferenceTime !== undefined) lines.push(...producerReferenceTime(set.producerReferenceTime, inner));
  for (const r of set.representations) lines.push(...representation(r, inner));
  lines.push(`${indent}</AdaptationSet>`);
  return lines;
}

function producerReferenceTime(prt: ProducerReferenceTime, indent: string): string[] {
  const list: Attribute[] = [['id', prt.id], ['type', prt.type], ['wallClockTime', xsDateTime(prt.wallClockTimeMs)], ['presentationTime', prt.presentationTime]];
  if (prt.utcTiming === undefined) return [empty('ProducerReferenceTime', list, indent)];
  return [open('ProducerReferenceTime', list, indent), utcTiming(prt.utcTiming, `${indent}  `), `${indent}</ProducerReferenceTime>`];
}

function representation(r: Representation, indent: string): string[] {
  const lines = [
    open(
      'Representation',
      [
        ['id', r.id],
        ['bandwidth', r.bandwidth],
        ['codecs', r.codecs],
        ['width', r.width],
        ['height', r.height],
        ['frameRate', r.frameRate],
        ['sar', r.sar],
        ['audioSamplingRate', r.audioSamplingRate],
      ],
      indent,
    ),
  ];
  const inner = `${indent}  `;
  if (r.audioChannels !== undefined) lines.push(descriptor('AudioChannelConfiguration', { schemeIdUri: 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011', value: String(r.audioChannels) }, inner));
  lines.push(...segmentTemplate(r.segmentTemplate, inner));
  lines.push(`${indent}</Representation>`);
  return lines;
}

function segmentTemplate(t: SegmentTemplate, indent: string): string[] {
  const list: Attribute[] = [
    ['timescale', t.timescale],
    ['presentationTimeOffset', t.presentationTimeOffset],
    ['startNumber', t.startNumber],
    ['duration', t.duration],
    ['availabilityTimeOffset', t.availabilityTimeOffsetSeconds === undefined ? undefined : decimalSeconds(t.availabilityTimeOffsetSeconds)],
    ['availabilityTimeComplete', t.availabilityTimeComplete === undefined ? undefined : String(t.availabilityTimeComplete)],
    ['initialization', t.initialization],
    ['media', t.media],
  ];
  if (t.timeline === undefined) return [empty('SegmentTemplate', list, indent)];
  const inner = `${indent}  `;
  return [
    open('SegmentTemplate', list, indent),
    `${inner}<SegmentTimeline>`,
    ...t.timeline.map((s) => empty('S', [['t', s.t], ['d', s.d], ['r', s.r === undefined || s.r === 0 ? undefined : s.r]], `${inner}  `)),
    `${inner}</SegmentTimeline>`,
    `${indent}</SegmentTemplate>`,
  ];
}
