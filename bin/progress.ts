/**
 * Progress on stderr for the admin CLI's long runs: on a terminal one line redrawn in place, otherwise
 * (a pipe, CI, a test) one line per change, so stdout stays the report alone (`--json` included).
 */

/** `[########------------] 12/30 requeued` */
export function progressBar(done: number, total: number, label: string, width = 20): string {
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : width;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label}`;
}

export interface Progress {
  /** Shows `text` (nothing when it is the line already shown). */
  show(text: string): void;
  /** Ends the progress line (a terminal needs its newline before the report). */
  end(): void;
}

export function progressOn(stream: { write(text: string): unknown; isTTY?: boolean } = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let shown = '';
  return {
    show(text) {
      if (text === shown) return;
      shown = text;
      stream.write(tty ? `\r\x1b[K${text}` : `${text}\n`);
    },
    end() {
      if (tty && shown) stream.write('\n');
      shown = '';
    },
  };
}
