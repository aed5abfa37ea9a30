/**
 * Start-up handshake for a parent process: a process started with an IPC channel (`fork`, or
 * `spawn` with 'ipc' in stdio) is told when it is ready and where, as one message, so that tests,
 * scripts and supervisors never have to match log text. Without a channel this does nothing.
 */
export interface ReadyMessage {
  type: 'skinsight:ready';
  role: 'api' | 'worker';
  /** The API's base URL (role api). */
  url?: string;
  /** A worker's metrics endpoint, when it serves one (SKINSIGHT_METRICS_PORT). */
  metricsUrl?: string;
  engineThreads?: number;
  jobConcurrency?: number;
}

export function announceReady(message: Omit<ReadyMessage, 'type'>): void {
  process.send?.({ type: 'skinsight:ready', ...message } satisfies ReadyMessage);
}
