/** A progress bar on stderr for long runs; silent for a handful of files or when asked. */
import cliProgress from 'cli-progress';

export interface Progress {
  tick(): void;
  stop(): void;
}

export function startProgress(total: number, enabled: boolean, label: string): Progress {
  if (!enabled || total < 10) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {value}/{total} {percentage}% | {eta_formatted} left`, hideCursor: false, clearOnComplete: false, noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}
