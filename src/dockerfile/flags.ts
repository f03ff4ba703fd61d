import type { InstructionFlag } from './types.js';

/**
 * The `--name=value` options each instruction accepts, checked as BuildKit's `BFlags.Parse`
 * (frontend/dockerfile/instructions/bflag.go) checks them.
 */

/** `bool` takes `--name`, `--name=true` or `--name=false`; `string` needs `=value`; `strings` may repeat. */
export type FlagKind = 'bool' | 'string' | 'strings';

export type FlagSpec = Readonly<Record<string, FlagKind>>;

export const FLAG_SPECS: Readonly<Record<string, FlagSpec>> = {
  ADD: {
    chown: 'string',
    chmod: 'string',
    link: 'bool',
    'keep-git-dir': 'bool',
    checksum: 'string',
    exclude: 'strings',
    unpack: 'bool',
  },
  COPY: { chown: 'string', chmod: 'string', from: 'string', link: 'bool', exclude: 'strings', parents: 'bool' },
  FROM: { platform: 'string' },
  // `--security` and `--device` are labs flags; accepting them only widens what imagesum reads, never narrows it.
  RUN: { mount: 'strings', network: 'string', security: 'string', device: 'strings' },
  HEALTHCHECK: {
    interval: 'string',
    timeout: 'string',
    'start-period': 'string',
    'start-interval': 'string',
    retries: 'string',
  },
};

/** A flag problem; the caller adds the location. */
export class FlagError extends Error {}

/** Splits flag words such as `--from=build` into names and values, without checking them. */
export function toInstructionFlags(flagWords: readonly string[]): InstructionFlag[] {
  return flagWords.map((word) => {
    const body = word.startsWith('--') ? word.slice(2) : word;
    const index = body.indexOf('=');
    if (index < 0) {
      return { name: body, value: undefined };
    }
    return { name: body.slice(0, index), value: body.slice(index + 1) };
  });
}

/** Checks flags against what `keyword` accepts; throws `FlagError` for the first problem. */
export function checkFlags(keyword: string, flags: readonly InstructionFlag[], spec: FlagSpec): void {
  const used = new Set<string>();

  for (const flag of flags) {
    const kind = spec[flag.name];
    if (kind === undefined) {
      throw new FlagError(`unknown flag --${flag.name} for ${keyword}: remove it or check its spelling`);
    }

    if (used.has(flag.name) && kind !== 'strings') {
      throw new FlagError(`flag --${flag.name} is given twice in ${keyword}: keep only one`);
    }
    used.add(flag.name);

    checkFlagValue(keyword, flag, kind);
  }
}

function checkFlagValue(keyword: string, flag: InstructionFlag, kind: FlagKind): void {
  if (kind !== 'bool') {
    if (flag.value === undefined) {
      throw new FlagError(`flag --${flag.name} of ${keyword} is missing a value: write --${flag.name}=<value>`);
    }
    return;
  }

  if (flag.value === undefined) {
    return;
  }
  if (flag.value === '') {
    throw new FlagError(`flag --${flag.name} of ${keyword} is missing a value: write --${flag.name} or --${flag.name}=true`);
  }

  const lower = flag.value.toLowerCase();
  if (lower !== 'true' && lower !== 'false') {
    throw new FlagError(`flag --${flag.name} of ${keyword} expects true or false, not "${flag.value}"`);
  }
}

/** Returns the value of the last `--name=value`, or `undefined` when the flag is absent. */
export function flagValue(flags: readonly InstructionFlag[], name: string): string | undefined {
  let value: string | undefined;
  for (const flag of flags) {
    if (flag.name === name) {
      value = flag.value ?? 'true';
    }
  }
  return value;
}

/** Returns every value of a repeatable flag such as `--mount` or `--exclude`, in order. */
export function flagValues(flags: readonly InstructionFlag[], name: string): string[] {
  return flags.filter((flag) => flag.name === name).map((flag) => flag.value ?? '');
}

/** Reports whether a bool flag such as `--parents` is on. */
export function flagIsTrue(flags: readonly InstructionFlag[], name: string): boolean {
  const value = flagValue(flags, name);
  return value !== undefined && value.toLowerCase() === 'true';
}
