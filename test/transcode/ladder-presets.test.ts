import { describe, expect, it } from 'vitest';
import { LADDER_PRESETS, ladderPreset, ladderProblems, planLadder } from '../../src/transcode/index.js';

describe('ladder presets', () => {
  it('every preset is a valid spec', () => {
    for (const [name, spec] of Object.entries(LADDER_PRESETS)) expect({ name, problems: ladderProblems(spec) }).toEqual({ name, problems: [] });
  });

  it('default: 1080p/720p/480p/360p on a 1080p source, only 360p on a 640x360 one', () => {
    const spec = ladderPreset('default')!;
    const full = planLadder(spec, { video: { codec: 'avc', width: 1920, height: 1080, frameRate: 30 }, audio: { codec: 'aac' } }, { major: 5, minor: 1 });
    expect(full.rungs.map((r) => `${r.name} ${r.width}x${r.height}`)).toEqual(['1080p 1920x1080', '720p 1280x720', '480p 854x480', '360p 640x360']);
    const small = planLadder(spec, { video: { codec: 'avc', width: 640, height: 360, frameRate: 30 }, audio: { codec: 'aac' } }, { major: 5, minor: 1 });
    expect(small.rungs.map((r) => r.name)).toEqual(['360p']);
    expect(small.dropped.map((d) => d.name)).toEqual(['1080p', '720p', '480p']);
  });

  it('an unknown name, or one of Object.prototype, is no preset', () => {
    expect(ladderPreset('ultra')).toBeUndefined();
    expect(ladderPreset('toString')).toBeUndefined();
    expect(ladderPreset('__proto__')).toBeUndefined();
  });
});
