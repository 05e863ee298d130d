// The orchestrator's event payloads (DESIGN §7), one named type each.

export interface StreamStarted {
  container_id: string;
  engine: { host: string; port: number };
  stream: { key_type: 'infohash'; key: string };
  session: { playback_session_id: string; stat_url: string; command_url: string; is_live: number };
  labels: { source: 'proxy'; worker_id: string; stream_id: string };
}

export type EndReason = 'normal' | 'failed_to_start' | 'error' | 'stopped';

export interface StreamEnded {
  container_id: string;
  stream_id: string;
  reason: EndReason;
}

export type OrchestratorEvent =
  | { name: 'stream_started'; payload: StreamStarted }
  | { name: 'stream_ended'; payload: StreamEnded };
