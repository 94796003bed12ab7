import { describe, expect, it } from 'vitest';
import { mpdProblems, parseXml } from '../helpers/mpd-check.js';

const GOOD = `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" profiles="p" availabilityStartTime="2026-01-01T00:00:00.000Z" minBufferTime="PT2S">
  <ServiceDescription id="0"><Latency target="1000"/><PlaybackRate min="0.96" max="1.04"/></ServiceDescription>
  <Period id="p0" start="PT0S">
    <AdaptationSet id="1" contentType="video">
      <ProducerReferenceTime id="1" wallClockTime="2026-01-01T00:00:00.000Z" presentationTime="0"><UTCTiming schemeIdUri="s" value="/time"/></ProducerReferenceTime>
      <Representation id="v" bandwidth="1"><SegmentTemplate media="v/$Number$.m4s"><SegmentTimeline><S t="0" d="1"/></SegmentTimeline></SegmentTemplate></Representation>
    </AdaptationSet>
  </Period>
  <UTCTiming schemeIdUri="s" value="/time"/>
</MPD>
`;

/** The test MPDs' check (test/helpers/mpd-check.ts) must find what is wrong, or it proves nothing. */
describe('the MPD structure check', () => {
  it('passes a well-ordered MPD', () => expect(mpdProblems(GOOD)).toEqual([]));

  it.each([
    ['UTCTiming before the Period', GOOD.replace('  <UTCTiming schemeIdUri="s" value="/time"/>\n</MPD>', '</MPD>').replace('<Period', '<UTCTiming schemeIdUri="s" value="/time"/><Period'), /<Period> after <UTCTiming>/],
    ['ServiceDescription after the Period', GOOD.replace(/  <ServiceDescription.*<\/ServiceDescription>\n/, '').replace('  <UTCTiming', '<ServiceDescription id="0"/>  <UTCTiming'), /<ServiceDescription> after <Period>/],
    ['ProducerReferenceTime after the Representation', GOOD.replace(/(<ProducerReferenceTime.*<\/ProducerReferenceTime>)\n(\s*)(<Representation.*<\/Representation>)/, '$3\n$2$1'), /<ProducerReferenceTime> after <Representation>/],
    ['a Representation without bandwidth', GOOD.replace(' bandwidth="1"', ''), /missing @bandwidth/],
    ['an unclosed element', GOOD.replace('</SegmentTimeline>', ''), /not well-formed/],
    ['an unquoted attribute', GOOD.replace('d="1"', 'd=1'), /not well-formed/],
    ['a raw ampersand', GOOD.replace('value="/time"/></Prod', 'value="/time?a&b"/></Prod'), /not well-formed/],
    ['an element not in the table', GOOD.replace('<S t="0" d="1"/>', '<X/>'), /not a child of <SegmentTimeline>|not in the order table/],
    ['no Period', GOOD.replace(/  <Period[\s\S]*<\/Period>\n/, ''), /no Period/],
  ])('finds %s', (_what, text, problem) => expect(mpdProblems(text).join('\n')).toMatch(problem));

  it('decodes the XML entities in attribute values', () => {
    expect(parseXml('<MPD a="x&amp;y&quot;"/>').attributes['a']).toBe('x&y"');
  });
});
