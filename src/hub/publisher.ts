import type { Sample, Track } from '../media/index.js';
import type { LiveStream } from './live-stream.js';

/** What the hub gives each Publisher: whether it still owns the stream, and how to report its end. */
export interface PublisherLink {
  isCurrent(publisher: Publisher): boolean;
  ended(publisher: Publisher, nowMs: number): void;
}

/**
 * The handle of one publishing connection. Once another publisher has taken the stream over
 * (`replaced`) or after `end`, every call is a no-op: the old TCP connection may still deliver
 * frames for a while, and they must not interleave with the new encoder's timeline.
 */
export class Publisher {
  readonly id: string;
  readonly stream: LiveStream;
  readonly publishedAtMs: number;
  private lastActivity: number;
  private isEnded = false;
  private readonly link: PublisherLink;

  constructor(id: string, stream: LiveStream, nowMs: number, link: PublisherLink) {
    this.id = id;
    this.stream = stream;
    this.publishedAtMs = nowMs;
    this.lastActivity = nowMs;
    this.link = link;
  }

  /** Another publisher took the stream over; the session should close this connection. */
  get replaced(): boolean {
    return !this.isEnded && !this.link.isCurrent(this);
  }

  get ended(): boolean {
    return this.isEnded;
  }

  /** Still owns the stream: neither ended nor replaced. */
  get active(): boolean {
    return !this.isEnded && this.link.isCurrent(this);
  }

  /** Time of the publish or of the last sample, what 'takeover-when-quiet' measures silence from. */
  get lastActivityMs(): number {
    return this.lastActivity;
  }

  /**
   * Declares the codec parameters. The first call of a publish, and any later call with different
   * tracks, reaches every reader as a 'tracks' item; an identical repeat is ignored.
   * Throws MediaError ERR_MEDIA_INVALID for an empty list or duplicate track ids.
   */
  setTracks(tracks: readonly Track[]): void {
    if (this.active) this.stream.applyTracks(tracks);
  }

  /**
   * Hands the sample to the GOP cache and every reader; never waits on any of them. Returns false
   * when this publisher no longer owns the stream (the sample was ignored). Throws MediaError
   * ERR_MEDIA_INVALID for a track not declared with setTracks.
   */
  pushSample(sample: Sample, nowMs: number): boolean {
    if (!this.active) return false;
    this.stream.applySample(sample, nowMs);
    this.lastActivity = nowMs;
    return true;
  }

  /** The connection is gone: the stream goes idle, readers get an 'end' item. */
  end(nowMs: number): void {
    if (!this.active) return;
    this.isEnded = true;
    this.stream.applyEnd(nowMs);
    this.link.ended(this, nowMs);
  }
}
