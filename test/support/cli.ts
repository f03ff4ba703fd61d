import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const testFolder = path.dirname(fileURLToPath(import.meta.url));
const compiled = testFolder.includes(`${path.sep}dist${path.sep}`);

/** The repository root, whether tests run from `test/` with tsx or from `dist/test/`. */
export const REPOSITORY = compiled ? path.resolve(testFolder, '../../..') : path.resolve(testFolder, '../..');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Node arguments that start the `imagesum` command: the bundle users run, or the source through tsx. */
export function cliArguments(): string[] {
  return compiled ? [path.join(REPOSITORY, 'dist/bin/main.js')] : ['--import', 'tsx', path.join(REPOSITORY, 'src/cli/main.ts')];
}

/** Runs the `imagesum` command as users do, in a child process. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result = spawnSync(process.execPath, [...cliArguments(), ...args], {
    cwd: options.cwd ?? REPOSITORY,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
