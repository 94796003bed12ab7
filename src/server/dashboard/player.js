// The dashboard's preview (docs/dashboard.md): the chosen stream in hls.js (window.Hls, loaded
// before the modules from /assets/hls.min.js), muted autoplay, with the LL-HLS catch-up of
// docs/ll-hls.md. `window.tidecastPlayer` is set when hls.js is created, before it loads anything:
// the browser tests (test/browser/*hls*.test.ts) hook their probes on it.

// hls.js 1.7 options. LL-HLS (parts, blocking playlist reloads, delta updates) is used when the
// playlist offers it: lowLatencyMode targets PART-HOLD-BACK behind the live edge (HOLD-BACK, or
// three target durations, for plain HLS). A player that has fallen behind that target plays at up
// to maxLiveSyncPlaybackRate until it is back (hls.js does so in low-latency mode only, and only
// with over a second buffered). liveDurationInfinity keeps the video element's duration at
// Infinity for a live stream; backBufferLength bounds what a long session keeps behind the playhead.
const HLS_CONFIG = { lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5, liveDurationInfinity: true, backBufferLength: 90 };

// LL-HLS catch-up. hls.js picks its start position from the first playlist, but playback begins
// only once the parts from the segment's independent frame up to there are loaded, by when the
// edge has moved on; and its playbackRate catch-up needs over a second buffered, so left alone it
// settles about twice PART-HOLD-BACK behind. When the position hls.js aims for
// (hls.liveSyncPosition) is more than CATCH_UP_SECONDS ahead and already buffered, jump there:
// at start, and whenever playback slips that far behind.
const CATCH_UP_SECONDS = 0.3;
const CATCH_UP_EVERY_MS = 3000;
/** HEADs of the playlist before giving up, 250 ms apart: a stream is listed before its first segment is cut. */
const PLAYLIST_TRIES = 40;

/** A player on `video`, telling what it does in `status` and listing the stream's URLs in `urls`. */
export function createPlayer(video, status, urls) {
  let hls = null;
  let lastCatchUp = 0;
  let call = 0; // the play() that is current: an older one still waiting gives up

  function catchUp() {
    const details = hls && hls.latestLevelDetails;
    if (!details || !details.live || !details.partTarget || !hls.lowLatencyMode) return;
    if (video.paused || video.seeking || video.readyState < 3 || performance.now() - lastCatchUp < CATCH_UP_EVERY_MS) return;
    const target = hls.liveSyncPosition;
    if (target === null || target - video.currentTime < CATCH_UP_SECONDS) return;
    for (let i = 0; i < video.buffered.length; i++) {
      if (video.buffered.start(i) <= video.currentTime && target + details.partTarget <= video.buffered.end(i)) {
        lastCatchUp = performance.now();
        video.currentTime = target;
        return;
      }
    }
  }
  video.addEventListener('playing', catchUp);

  // Its playlist exists once the first segment is cut (a segment target after the publish):
  // wait for it rather than hand hls.js a 404 it will not retry.
  async function playlistReady(url, mine) {
    for (let i = 0; i < PLAYLIST_TRIES && mine === call; i++) {
      const res = await fetch(url, { method: 'HEAD' }).catch(() => undefined);
      if (res && res.ok) return true;
      if (res && (res.status === 401 || res.status === 403)) {
        // Playback authorization (docs/auth.md) wants a play credential, which the API token is not.
        status.textContent = 'This stream needs a play token (playback authorization is on for its app): the preview cannot play it.';
        return false;
      }
      status.textContent = 'Waiting for the first segment…';
      await new Promise((r) => setTimeout(r, 250));
    }
    if (mine === call && status.textContent.startsWith('Waiting')) status.textContent = 'No playlist at ' + url;
    return false;
  }

  function showUrls(s) {
    const base = '/' + s.app + '/' + s.streamKey;
    const links = [['HLS', s.playlist || base + '/index.m3u8'], ['DASH', base + '/manifest.mpd'], ['LL-DASH', base + '/manifest-ll.mpd']];
    urls.replaceChildren(...links.map(([name, path]) => {
      const a = document.createElement('a');
      a.href = path;
      a.textContent = name + ' ' + location.origin + path;
      return a;
    }));
  }

  async function play(s) {
    const mine = ++call;
    const url = s.playlist || '/' + s.app + '/' + s.streamKey + '/index.m3u8';
    showUrls(s);
    if (hls) {
      hls.destroy();
      hls = null;
    }
    if (!(await playlistReady(url, mine)) || mine !== call) return;
    if (window.Hls && Hls.isSupported()) {
      hls = new Hls(HLS_CONFIG);
      window.tidecastPlayer = { url, hls };
      hls.on(Hls.Events.ERROR, (_e, d) => {
        if (!d.fatal) return;
        status.textContent = 'Playback error: ' + d.details;
        if (d.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      });
      hls.on(Hls.Events.FRAG_BUFFERED, catchUp);
      hls.loadSource(url);
      hls.attachMedia(video);
    } else {
      // Safari plays HLS itself.
      window.tidecastPlayer = { url, hls: null };
      video.src = url;
    }
    video.muted = true;
    video.play().catch(() => undefined);
    status.textContent = 'Playing ' + url + ' (muted: use the player controls for sound).';
  }

  return {
    play,
    /** Whether a stream is playing or starting (a repeated pick of the same stream leaves it be). */
    get busy() {
      return hls !== null || video.src !== '';
    },
  };
}
