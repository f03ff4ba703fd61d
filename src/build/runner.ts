import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';

import type { ImageSpec } from '../config/types.js';
import type { BuilderChoice } from '../engine/index.js';
import { CHECKSUM_LABEL, PARTS_LABEL } from '../status/labels.js';

/** Lines of a failed build's log that the summary shows. */
const TAIL_LINES = 15;

/** How long a builder may take to stop after SIGINT before it is killed. */
const STOP_GRACE_MS = 10_000;

export interface BuildRequest {
  readonly spec: ImageSpec;
  readonly checksum: string;
  /** JSON of the input parts, stored so a later run can name what changed. */
  readonly parts: string;
  /** Passes `--no-cache`, so every step runs again. */
  readonly noCache: boolean;
  readonly builder: BuilderChoice;
  readonly logFile: string;
  readonly signal: AbortSignal;
}

export interface BuildOutcome {
  readonly ok: boolean;
  readonly reason: string;
  readonly tail: readonly string[];
}

/** The builder's command line: the engine's own front door, so users keep their builders and credentials. */
export function buildArguments(request: Omit<BuildRequest, 'signal' | 'logFile' | 'builder'>): string[] {
  const { spec } = request;
  const args = ['build', '--file', spec.dockerfile, '--tag', spec.name];
  args.push('--label', `${CHECKSUM_LABEL}=${request.checksum}`, '--label', `${PARTS_LABEL}=${request.parts}`);

  for (const name of Object.keys(spec.args).sort()) {
    args.push('--build-arg', `${name}=${spec.args[name]}`);
  }
  if (spec.target !== undefined) {
    args.push('--target', spec.target);
  }
  if (spec.platform !== undefined) {
    args.push('--platform', spec.platform);
  }
  if (request.noCache) {
    args.push('--no-cache');
  }

  args.push(spec.context);
  return args;
}

/**
 * Runs one build, writing its output to the log file. An abort sends SIGINT, which makes the docker client
 * cancel the build before it tags anything, and SIGKILL if it has not stopped after a grace period.
 */
export function runBuild(request: BuildRequest): Promise<BuildOutcome> {
  mkdirSync(path.dirname(request.logFile), { recursive: true });
  const log = createWriteStream(request.logFile);
  const tail: string[] = [];
  let partial = '';

  const record = (chunk: Buffer): void => {
    log.write(chunk);
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    tail.push(...lines);
    tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
  };

  return new Promise((resolve) => {
    const child = spawn(request.builder.client, buildArguments(request), {
      env: { ...process.env, ...request.builder.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', record);
    child.stderr.on('data', record);

    let killTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    };
    request.signal.addEventListener('abort', stop, { once: true });

    const finish = (outcome: BuildOutcome): void => {
      clearTimeout(killTimer);
      request.signal.removeEventListener('abort', stop);
      if (partial !== '') {
        tail.push(partial);
      }
      log.end(() => resolve({ ...outcome, tail: tail.slice(-TAIL_LINES) }));
    };

    child.on('error', (error) => finish({ ok: false, reason: `cannot run ${request.builder.client}: ${error.message}`, tail }));
    child.on('close', (code, signal) => {
      if (code === 0) {
        finish({ ok: true, reason: '', tail });
      } else if (request.signal.aborted) {
        finish({ ok: false, reason: 'interrupted', tail });
      } else {
        finish({ ok: false, reason: signal === null ? `the builder exited with code ${code}` : `the builder was killed by ${signal}`, tail });
      }
    });
  });
}
