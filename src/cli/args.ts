import { parseArgs, type ParseArgsConfig } from 'node:util';

import { ImagesumError } from '../errors.js';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  directory: { type: 'string', short: 'C' },
  config: { type: 'string' },
  builder: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/** Options that take a value, so that a value is not mistaken for the command name. */
const VALUE_OPTIONS = new Set(['-C', '--directory', '--config', '--builder']);

/** Splits the command line into the command name and the rest. */
export function splitCommand(argv: readonly string[]): { command: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      return { command: undefined, rest: [...argv] };
    }
    if (VALUE_OPTIONS.has(token)) {
      i++;
      continue;
    }
    if (!token.startsWith('-')) {
      return { command: token, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    }
  }
  return { command: undefined, rest: [...argv] };
}

/** Parses a command's arguments, turning node's parse errors into a usage error. */
export function parseCommandArgs<T extends OptionSpec>(
  command: string,
  args: readonly string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: typeof GLOBAL_OPTIONS & T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: [...args], options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ImagesumError('usage', `${reason}; run 'imagesum ${command} --help' for the options`);
  }
}

/** Checks that an option value is one of a fixed list. */
export function oneOf<T extends string>(option: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) {
    return fallback;
  }
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ImagesumError('usage', `invalid ${option} ${JSON.stringify(value)}; use one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** Parses a positive whole number option such as `-j 4`. */
export function positiveInteger(option: string, value: string | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (!/^[1-9][0-9]*$/.test(value)) {
    throw new ImagesumError('usage', `invalid ${option} ${JSON.stringify(value)}; use a whole number of 1 or more`);
  }
  return Number(value);
}
