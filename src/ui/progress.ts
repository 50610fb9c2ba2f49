/**
 * Progress for long jobs: a bar with rate and ETA on a TTY (cli-progress), plain lines otherwise
 * (at most one per ~10% or 5 s) so logs in CI stay readable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Advance by `n` units; `status` is shown after the bar (e.g. live success rate). */
  tick(n?: number, status?: string): void;
  stop(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  unit?: string;
  /** Suppress all output (e.g. with --json). */
  quiet?: boolean;
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

export function startProgress(label: string, total: number, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const unit = opts.unit ?? 'it';
  const t0 = performance.now();
  let done = 0;
  if (opts.quiet) return { tick: (n = 1) => void (done += n), stop: () => {} };
  const rate = () => done / Math.max(1e-9, (performance.now() - t0) / 1000);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted} | {status}`,
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { speed: '0.0', status: '' });
    return {
      tick(n = 1, status = '') {
        done += n;
        bar.update(done, { speed: rate().toFixed(1), status });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let lastPrint = 0;
  let lastPct = -1;
  const print = (status: string) => {
    const r = rate();
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    stream.write(
      `${label}: ${done}/${total} ${unit} (${pct}%) ${r.toFixed(1)} ${unit}/s ETA ${fmtSeconds((total - done) / r)}${status ? ` ${status}` : ''}\n`,
    );
    lastPrint = performance.now();
    lastPct = pct;
  };
  return {
    tick(n = 1, status = '') {
      done += n;
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      if (done >= total || pct >= lastPct + 10 || performance.now() - lastPrint > 5000) print(status);
    },
    stop() {
      if (lastPct < 100 && done < total) print('(stopped)');
    },
  };
}
