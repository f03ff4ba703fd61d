import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Timing of one measurement over several runs, in milliseconds. */
export interface Stats {
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Max resident set size over all runs in MiB, when the runs were single commands under GNU time. */
  readonly maxRssMiB: number | undefined;
  readonly samplesMs: readonly number[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) {
    return sorted[middle] ?? Number.NaN;
  }
  return ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/** Error thrown when a measured command exits non-zero, with the end of its output. */
export class CommandFailed extends Error {}

/**
 * Runs a command to completion and throws CommandFailed when it exits non-zero. Standard output is dropped
 * unless `capture` is set, so printing does not count in the time.
 */
export function run(command: readonly string[], options: SpawnSyncOptions & { capture?: boolean } = {}): string {
  const [file, ...args] = command;
  if (file === undefined) {
    throw new Error('empty command');
  }
  const result = spawnSync(file, args, {
    ...options,
    stdio: ['ignore', options.capture === true ? 'pipe' : 'ignore', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error !== undefined) {
    throw new CommandFailed(`${command.join(' ')} failed to start: ${result.error.message}`);
  }
  if (result.status !== 0) {
    const stderr = String(result.stderr ?? '').trim().split('\n').slice(-15).join('\n');
    throw new CommandFailed(`${command.join(' ')} exited with ${result.status ?? result.signal}:\n${stderr}`);
  }
  return String(result.stdout ?? '');
}

export interface MeasureOptions {
  readonly runs: number;
  /** Untimed runs before the timed ones, to fill the page cache and the engine's caches. Default: 1. */
  readonly warmup?: number;
  /** Untimed step before every run, warm-up runs included, such as deleting a cache. */
  readonly prepare?: () => void;
}

/** Times `body` over several runs. `body` returns the run's max RSS in KiB when it measured one. */
export function measure(options: MeasureOptions, body: () => number | void): Stats {
  for (let i = 0; i < (options.warmup ?? 1); i += 1) {
    options.prepare?.();
    body();
  }

  const samples: number[] = [];
  let maxRssKiB: number | undefined;
  for (let i = 0; i < options.runs; i += 1) {
    options.prepare?.();
    const start = process.hrtime.bigint();
    const rss = body();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (typeof rss === 'number') {
      maxRssKiB = Math.max(maxRssKiB ?? 0, rss);
    }
  }

  return {
    runs: samples.length,
    medianMs: median(samples),
    minMs: Math.min(...samples),
    maxMs: Math.max(...samples),
    maxRssMiB: maxRssKiB === undefined ? undefined : maxRssKiB / 1024,
    samplesMs: samples,
  };
}

const timeOutputDir = mkdtempSync(path.join(os.tmpdir(), 'imagesum-bench-time-'));
process.on('exit', () => rmSync(timeOutputDir, { recursive: true, force: true }));

/**
 * Runs one command under GNU time (`/usr/bin/time`) and returns its max RSS in KiB. The wrapper adds one
 * fork and exec, about a millisecond, to every measured command alike.
 */
export function runWithRss(command: readonly string[], options: SpawnSyncOptions = {}): number {
  const output = path.join(timeOutputDir, 'rss');
  run(['/usr/bin/time', '-f', '%M', '-o', output, ...command], options);
  const kib = Number(readFileSync(output, 'utf8').trim().split('\n').pop());
  if (!Number.isFinite(kib)) {
    throw new Error(`GNU time wrote no max RSS for ${command.join(' ')}`);
  }
  return kib;
}
