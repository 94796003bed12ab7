import { checkLadderSpec, type LadderSpec } from './ladder-spec.js';

/**
 * Named ladders. `default` is the common 16:9 ladder of the streaming services' guidance (1080p,
 * 720p, 480p, 360p at 5000/2800/1400/800 kb/s, H.264 high above 480p and main below), planned
 * against each source, so a smaller publish gets only the rungs at or below its own height.
 */
export const LADDER_PRESETS: Readonly<Record<string, LadderSpec>> = {
  default: checkLadderSpec({
    rungs: [
      { codec: 'h264', height: 1080, bitrateKbps: 5000, maxRateKbps: 5350, bufferSizeKbits: 7500, profile: 'high' },
      { codec: 'h264', height: 720, bitrateKbps: 2800, maxRateKbps: 2996, bufferSizeKbits: 4200, profile: 'high' },
      { codec: 'h264', height: 480, bitrateKbps: 1400, maxRateKbps: 1498, bufferSizeKbits: 2100, profile: 'main' },
      { codec: 'h264', height: 360, bitrateKbps: 800, maxRateKbps: 856, bufferSizeKbits: 1200, profile: 'main' },
    ],
  }),
};

/** The preset called `name`, or undefined. */
export function ladderPreset(name: string): LadderSpec | undefined {
  return Object.hasOwn(LADDER_PRESETS, name) ? LADDER_PRESETS[name] : undefined;
}
