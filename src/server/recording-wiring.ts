import { resolveLiveOptions } from '../hls/index.js';
import type { Track } from '../media/index.js';
import type { HlsEgress } from './hls-egress.js';
import type { MediaServer } from './media-server.js';
import type { MediaServerOptions } from './media-server-options.js';
import { wireRecordingUploads } from './object-storage-wiring.js';
import { Recorder } from './recorder.js';
import type { RecordingRendition } from './recording-catalog.js';

declare module './media-server.js' {
  interface MediaServer {
    /** The recorder (docs/recording.md): start, stop, isRecording, dir; undefined without the `record` option. */
    readonly recording: Recorder | undefined;
  }
}

/**
 * How long a publisher's recording waits, after it left, for the packager's last segments: a
 * ladder's rungs come out of ffmpeg a moment after the source ended (a second or two at most).
 */
const SETTLE_MAX_MS = 10_000;
const SETTLE_POLL_MS = 100;

/**
 * The `record` option, wired (one line in media-server.ts): the recorder as a tap of the server's
 * store (closed with it), told of each publish (with what its authorization said of recording),
 * unpublish and segment event; its events as the server's 'recording' events and the
 * `recording.*` webhooks (control-plane.ts); `server.recording`.
 */
export function wireRecording(server: MediaServer, options: MediaServerOptions): void {
  const recorder = options.record === undefined ? undefined : createRecorder(server, options);
  Object.defineProperty(server, 'recording', { value: recorder, enumerable: true });
  if (recorder === undefined) return;
  server.storage.addTap(recorder);
  server.on('publish', ({ app, streamKey }) => recorder.publish(app, streamKey, server.control.takeRecordAsked(app, streamKey)));
  server.on('unpublish', ({ app, streamKey }) => recorder.unpublish(app, streamKey));
  server.on('segment', ({ app, streamKey }, segment) => recorder.segmentEvent(app, streamKey, segment));
  server.control.watchRecordings(server);
  wireRecordingUploads(server, recorder); // objectStorage.recordings: finished recordings to the bucket
}

function createRecorder(server: MediaServer, options: MediaServerOptions): Recorder {
  return new Recorder(options.record!, {
    now: options.now ?? Date.now,
    emit: (event) => server.emit('recording', event),
    describe: (app, key, rendition) => {
      const live = egressOf(server, app, key)?.packager.renditions.find((r) => r.name === rendition);
      return live === undefined ? undefined : describeTrack(live.name, live.track);
    },
    isLive: (app, key) => server.hub.stream(app, key)?.state === 'live',
    settled: (app, key) => settled(server, app, key),
    targetDurationSeconds: resolveLiveOptions(options.hls).targetDurationSeconds,
  });
}

function egressOf(server: MediaServer, app: string, key: string): HlsEgress | undefined {
  for (const egress of server.egress.values()) if (egress.name.app === app && egress.name.streamKey === key) return egress;
  return undefined;
}

/** A rendition as recording.json describes it (its bandwidth is measured by the recording). */
export function describeTrack(name: string, track: Track): Omit<RecordingRendition, 'bandwidth'> {
  if (track.kind === 'video') {
    return { name, kind: 'video', codecs: track.codecString, width: track.width, height: track.height, ...(track.frameRate === undefined ? {} : { frameRate: track.frameRate }) };
  }
  return { name, kind: 'audio', codecs: track.codecString, sampleRate: track.sampleRate, channels: track.channels };
}

/**
 * After the publisher left: the packager's writes handed over, and its renditions paused (the
 * open segments cut and put). Without a ladder that is so when 'unpublish' is emitted; a ladder's
 * output pauses once ffmpeg's last frames are packaged. A comeback ends the wait.
 */
async function settled(server: MediaServer, app: string, key: string): Promise<void> {
  const egress = egressOf(server, app, key);
  if (egress === undefined) return;
  await egress.packager.idle();
  const paused = (): boolean => egress.packager.renditions.every((r) => r.removed || r.timeline.away || r.timeline.ended);
  for (let waited = 0; !paused() && waited < SETTLE_MAX_MS && server.hub.stream(app, key)?.state !== 'live'; waited += SETTLE_POLL_MS) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS).unref());
  }
  await egress.packager.idle();
}
