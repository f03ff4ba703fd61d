import type { BuildEvent, BuildListener, BuildSummary } from '../build/events.js';
import { assertNever, formatLocation } from '../errors.js';

export type ProgressMode = 'auto' | 'tty' | 'plain';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'tty', 'plain'];

/** Chooses the renderer: live lines on a terminal, plain lines in CI and pipes. */
export function createProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): BuildListener & { close(): void } {
  const live = mode === 'tty' || (mode === 'auto' && stream.isTTY === true && process.env['CI'] === undefined);
  return live ? new LiveProgress(stream) : new PlainProgress(stream);
}

function formatSeconds(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)}s` : `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

function summaryLine(summary: BuildSummary): string {
  if (summary.dryRun !== undefined) {
    return `dry run: ${summary.dryRun.length} to build, ${summary.fresh.length} fresh`;
  }
  const parts = [`${summary.built.length} built`, `${summary.fresh.length} fresh`, `${summary.failed.length} failed`];
  if (summary.skipped.length > 0) {
    parts.push(`${summary.skipped.length} skipped`);
  }
  const interrupted = summary.interrupted ? ' (interrupted)' : '';
  return `${parts.join(', ')} in ${formatSeconds(summary.seconds)}${interrupted}`;
}

/** Lines for events that both renderers print the same way. */
function eventLines(event: BuildEvent): string[] {
  switch (event.type) {
    case 'warning': {
      const where = event.warning.location === undefined ? '' : `${formatLocation(event.warning.location)}: `;
      return [`warning: ${where}${event.warning.message}`];
    }
    case 'planned':
      if (event.builds.length === 0) {
        return ['nothing to build: every selected image is fresh'];
      }
      return [`using ${event.builder}`, ...event.builds.map((build) => `plan: ${build.name}: ${build.reason}`)];
    case 'started':
      return [];
    case 'succeeded':
      return [`built ${event.name} in ${formatSeconds(event.seconds)}`];
    case 'failed': {
      const log = event.logFile === undefined ? '' : `; log: ${event.logFile}`;
      return [`FAILED ${event.name}: ${event.reason}${log}`, ...event.tail.map((line) => `  | ${line}`)];
    }
    case 'skipped':
      return [`skipped ${event.name}: ${event.reason}`];
    case 'finished':
      return [summaryLine(event.summary)];
    default:
      return assertNever(event);
  }
}

/** One line per event, for CI logs and pipes. */
class PlainProgress implements BuildListener {
  constructor(private readonly stream: NodeJS.WriteStream) {}

  emit(event: BuildEvent): void {
    const lines = event.type === 'started' ? [`building ${event.name}`] : eventLines(event);
    for (const line of lines) {
      this.stream.write(`${line}\n`);
    }
  }

  close(): void {}
}

/** Finished events scroll up; below them, one redrawn line per running build with its elapsed time. */
class LiveProgress implements BuildListener {
  private readonly running = new Map<string, number>();
  private drawn = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.timer = setInterval(() => this.redraw([]), 250);
    this.timer.unref();
  }

  emit(event: BuildEvent): void {
    if (event.type === 'started') {
      this.running.set(event.name, event.at);
    } else if (event.type === 'succeeded' || event.type === 'failed') {
      this.running.delete(event.name);
    }
    this.redraw(eventLines(event));
  }

  close(): void {
    clearInterval(this.timer);
    this.redraw([]);
  }

  private redraw(scrolled: readonly string[]): void {
    const clear = this.drawn > 0 ? `\x1b[${this.drawn}A\x1b[J` : '';
    const now = Date.now();
    const live = [...this.running].map(([name, at]) => `  building ${name}  ${formatSeconds((now - at) / 1000)}`);
    const text = [...scrolled, ...live].map((line) => `${line}\n`).join('');
    this.stream.write(clear + text);
    this.drawn = live.length;
  }
}
