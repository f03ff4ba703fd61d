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
  /**
   * Median user plus system CPU time of the command and all its child processes, when it ran under GNU time.
   * Other work on the machine changes it far less than the wall time.
   */
  readonly medianCpuMs: number | undefined;
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

/** Resources of one command that ran under GNU time. */
export interface Usage {
  readonly maxRssKiB: number;
  readonly cpuMs: number;
}

/** One command or loop to time, with an optional untimed step before each of its runs. */
export interface Case {
  readonly prepare?: () => void;
  /** Runs the timed work and returns its resource usage when it measured one. */
  readonly body: () => Usage | void;
}

/** Times one case over several runs. */
export function measure(options: MeasureOptions, body: () => Usage | void): Stats {
  const [stats] = measureInterleaved(options, [{ prepare: options.prepare, body }]);
  return stats as Stats;
}

/**
 * Times several cases in rounds, one run of each case per round, so that load from other work on the machine
 * falls on all of them alike. The warm-up rounds run every case untimed.
 */
export function measureInterleaved(options: Omit<MeasureOptions, 'prepare'>, cases: readonly Case[]): Stats[] {
  for (let round = 0; round < (options.warmup ?? 1); round += 1) {
    for (const item of cases) {
      item.prepare?.();
      item.body();
    }
  }

  const samples = cases.map(() => [] as number[]);
  const cpuSamples = cases.map(() => [] as number[]);
  const maxRssKiB: Array<number | undefined> = cases.map(() => undefined);
  for (let round = 0; round < options.runs; round += 1) {
    cases.forEach((item, index) => {
      item.prepare?.();
      const start = process.hrtime.bigint();
      const usage = item.body();
      samples[index]?.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (usage !== undefined) {
        maxRssKiB[index] = Math.max(maxRssKiB[index] ?? 0, usage.maxRssKiB);
        cpuSamples[index]?.push(usage.cpuMs);
      }
    });
  }

  return cases.map((_, index) => {
    const wall = samples[index] ?? [];
    const cpu = cpuSamples[index] ?? [];
    const rss = maxRssKiB[index];
    return {
      runs: wall.length,
      medianMs: median(wall),
      minMs: Math.min(...wall),
      maxMs: Math.max(...wall),
      maxRssMiB: rss === undefined ? undefined : rss / 1024,
      medianCpuMs: cpu.length === 0 ? undefined : median(cpu),
      samplesMs: wall,
    };
  });
}

const timeOutputDir = mkdtempSync(path.join(os.tmpdir(), 'imagesum-bench-time-'));
process.on('exit', () => rmSync(timeOutputDir, { recursive: true, force: true }));

/**
 * Runs one command under GNU time (`/usr/bin/time`) and returns its max RSS and its CPU time, children
 * included. The wrapper adds one fork and exec, about a millisecond, to every measured command alike.
 */
export function runUnderTime(command: readonly string[], options: SpawnSyncOptions = {}): Usage {
  const output = path.join(timeOutputDir, 'usage');
  run(['/usr/bin/time', '-f', '%M %U %S', '-o', output, ...command], options);
  const fields = (readFileSync(output, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number);
  const [maxRssKiB, userSeconds, systemSeconds] = fields;
  if (maxRssKiB === undefined || userSeconds === undefined || systemSeconds === undefined || fields.some((field) => !Number.isFinite(field))) {
    throw new Error(`GNU time wrote no usage for ${command.join(' ')}`);
  }
  return { maxRssKiB, cpuMs: (userSeconds + systemSeconds) * 1000 };
}
