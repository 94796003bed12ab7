/**
 * What the reader remembers per chunk stream id: the last header fields (types 1–3 inherit them,
 * RTMP 5.3.1.2) and the message being reassembled.
 */
export class ChunkStreamState {
  readonly id: number;
  /** Whether a type 0 header was ever seen; types 1–3 are meaningless before one. */
  started = false;
  timestamp = 0;
  /**
   * The last timestamp field as sent: absolute after type 0, a delta after types 1 and 2. A type 3
   * header that starts a new message adds it again, as librtmp, FFmpeg and SRS all read it.
   */
  timestampField = 0;
  /** The last type 0–2 header used the extended timestamp; type 3 chunks may repeat it. */
  extended = false;
  length = 0;
  typeId = 0;
  messageStreamId = 0;
  /** Body of the message being reassembled (allocated at its first chunk), or undefined. */
  body: Uint8Array | undefined = undefined;
  /** Bytes of the current message received so far; 0 means the next chunk starts a message. */
  received = 0;

  constructor(id: number) {
    this.id = id;
  }
}
