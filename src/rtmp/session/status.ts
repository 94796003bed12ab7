import type { AmfObject } from '../../amf/index.js';
import type { StatusInfo } from '../message/index.js';

/**
 * The NetConnection and NetStream status codes tidecast sends (RTMP 7.2.1.1 and 7.2.2, and the
 * codes of FMS that clients test for by name: OBS, FFmpeg and librtmp match these strings).
 */
export function status(code: string, description: string, level: StatusInfo['level'] = 'status', extra: AmfObject = {}): StatusInfo {
  return { level, code, description, ...extra };
}

export const StatusCode = {
  CONNECT_SUCCESS: 'NetConnection.Connect.Success',
  CONNECT_REJECTED: 'NetConnection.Connect.Rejected',
  CALL_FAILED: 'NetConnection.Call.Failed',
  PUBLISH_START: 'NetStream.Publish.Start',
  PUBLISH_BAD_NAME: 'NetStream.Publish.BadName',
  UNPUBLISH_SUCCESS: 'NetStream.Unpublish.Success',
  PLAY_RESET: 'NetStream.Play.Reset',
  PLAY_START: 'NetStream.Play.Start',
  PLAY_STOP: 'NetStream.Play.Stop',
  PLAY_STREAM_NOT_FOUND: 'NetStream.Play.StreamNotFound',
  PLAY_UNPUBLISH_NOTIFY: 'NetStream.Play.UnpublishNotify',
  PLAY_PUBLISH_NOTIFY: 'NetStream.Play.PublishNotify',
  DATA_START: 'NetStream.Data.Start',
  PAUSE_NOTIFY: 'NetStream.Pause.Notify',
  UNPAUSE_NOTIFY: 'NetStream.Unpause.Notify',
  SEEK_FAILED: 'NetStream.Seek.Failed',
  FAILED: 'NetStream.Failed',
} as const;
