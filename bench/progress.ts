/**
 * The benchmarks' progress bar on stderr (stdout keeps the table): on a terminal one line redrawn in
 * place; otherwise (CI, a pipe, a file) a plain line when the label changes, when the step finishes, and
 * at most every few seconds in between, so a log stays short and still shows the run is alive.
 */

/** What a benchmark step calls as it goes: `done` of `total` units of the step named `label`. */
export type Progress = (done: number, total: number, label: string) => void;

export interface ProgressBar {
  readonly update: Progress;
  /** Ends the redrawn line (a terminal) so what follows starts on a line of its own. */
  finish(): void;
}

/** The bar's text: `[#######.............]  35%  105/300  label  1m 12s`. */
export function formatProgress(done: number, total: number, label: string, elapsedMs: number, width = 20): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  return `${bar} ${percent}  ${done}/${total}  ${label}  ${formatElapsed(elapsedMs)}`;
}

export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m}m ${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

/** What the bar writes to: process.stderr, or a test's recorder. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export function progressBar(
  options: { readonly stream?: ProgressStream; readonly plainEveryMs?: number; readonly now?: () => number } = {},
): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const every = options.plainEveryMs ?? 5_000;
  const started = now();
  let lastLabel: string | undefined;
  let lastPlain = Number.NEGATIVE_INFINITY;
  let lastFinished = false;
  let drawn = false;
  let lastDraw = Number.NEGATIVE_INFINITY;
  return {
    update(done, total, label) {
      const t = now();
      const text = formatProgress(done, total, label, t - started);
      if (stream.isTTY) {
        // Redraw at most every 100 ms, but always the step's last frame.
        if (t - lastDraw < 100 && done < total && label === lastLabel) return;
        lastDraw = t;
        lastLabel = label;
        const columns = stream.columns ?? 120;
        stream.write(`\r${text.slice(0, Math.max(20, columns - 1))}\x1b[K`);
        drawn = true;
        return;
      }
      const finished = done >= total;
      if (label !== lastLabel || (finished && !lastFinished) || t - lastPlain >= every) {
        stream.write(`${text}\n`);
        lastLabel = label;
        lastPlain = t;
      }
      lastFinished = finished;
    },
    finish() {
      if (stream.isTTY && drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** A Progress that shows nothing (a step run from a test). */
export const silentProgress: Progress = () => undefined;
