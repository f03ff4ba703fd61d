import { ImagesumError } from '../errors.js';
import type { SourceLocation } from '../errors.js';
import { splitOnWhitespace } from './arguments.js';
import { ExpansionError, NO_VARIABLES, expandWord } from './expand.js';
import { flagValue, flagValues } from './flags.js';
import { MountError, parseMount } from './mounts.js';
import type { VariableScope } from './scope.js';
import type { Instruction, ParsedDockerfile, ResolveOptions, Stage } from './types.js';

/**
 * Stage structure of one build: what each FROM names after expansion, which stages and images each stage reads
 * with `--from` and `RUN --mount from=`, and which stages the target needs. As in BuildKit's dockerfile2llb,
 * every FROM line is expanded, but only the needed stages are built.
 */

export type BaseKind =
  | { readonly kind: 'scratch' }
  | { readonly kind: 'stage'; readonly index: number }
  | { readonly kind: 'image'; readonly reference: string };

/** The stage or image a `--from` or `from=` value names. */
export type SourceReference = { readonly kind: 'stage'; readonly index: number } | { readonly kind: 'image'; readonly reference: string };

export interface Dependency {
  readonly source: SourceReference;
  readonly instruction: Instruction;
  readonly via: 'COPY --from' | 'RUN --mount from';
  /** The value as written, for messages. */
  readonly written: string;
}

export interface StagePlan {
  readonly stage: Stage;
  readonly base: BaseKind;
  /** The expanded `FROM --platform` value. */
  readonly platform: string | undefined;
  /** Global ARG names the FROM line reads. */
  readonly fromArgNames: ReadonlySet<string>;
}

/** Expands every FROM line with the global ARGs and finds which stage or image each one names. */
export function planStages(parsed: ParsedDockerfile, globals: VariableScope, options: ResolveOptions): StagePlan[] {
  const plans: StagePlan[] = [];
  const earlierStages = new Map<string, number>();

  for (const stage of parsed.stages) {
    const names = new Set<string>();
    const baseName = expandFromWord(fromOperand(stage.from), parsed.escape, globals, stage.from.location, names);
    if (baseName === '') {
      fail(stage.from.location, `base name ${fromOperand(stage.from)} expands to an empty string: give its ARG a value`);
    }

    const platform = expandPlatform(stage.from, parsed.escape, globals, names);
    const base = baseKind(baseName, earlierStages, options);
    plans.push({ stage, base, platform, fromArgNames: names });

    if (stage.name !== undefined) {
      earlierStages.set(stage.name, stage.index);
    }
  }

  return plans;
}

function fromOperand(from: Instruction): string {
  return splitOnWhitespace(from.text)[0] ?? '';
}

function expandFromWord(
  text: string,
  escape: string,
  globals: VariableScope,
  location: SourceLocation,
  names: Set<string>,
): string {
  try {
    const result = expandWord(text, { escape, lookup: globals.lookup });
    for (const name of [...result.matched, ...result.unmatched]) {
      names.add(name);
    }
    return result.word;
  } catch (error) {
    if (error instanceof ExpansionError) {
      fail(location, `cannot expand ${JSON.stringify(text)}: ${error.message}`);
    }
    throw error;
  }
}

function expandPlatform(from: Instruction, escape: string, globals: VariableScope, names: Set<string>): string | undefined {
  const written = flagValue(from.flags, 'platform');
  if (written === undefined) {
    return undefined;
  }

  const platform = expandFromWord(written, escape, globals, from.location, names);
  if (platform === '') {
    fail(from.location, `--platform=${written} expands to an empty string: give its ARG a value`);
  }
  return platform;
}

/**
 * BuildKit matches a FROM value against earlier stage names exactly, and stage names are lower case, so
 * `FROM Build` names an image. The classic builder compares names without case.
 */
function baseKind(name: string, earlierStages: ReadonlyMap<string, number>, options: ResolveOptions): BaseKind {
  const key = options.builder === 'classic' ? name.toLowerCase() : name;
  const index = earlierStages.get(key);

  if (index !== undefined) {
    return { kind: 'stage', index };
  }
  if (name === 'scratch') {
    return { kind: 'scratch' };
  }
  return { kind: 'image', reference: name };
}

/** Lists the stages and images that `instructions` read with `COPY --from` and `RUN --mount from=`. */
export function dependenciesOf(
  instructions: readonly Instruction[],
  stages: readonly Stage[],
  escape: string,
): Dependency[] {
  const dependencies: Dependency[] = [];

  for (const instruction of instructions) {
    if (instruction.keyword === 'COPY') {
      const from = flagValue(instruction.flags, 'from');
      if (from !== undefined) {
        const source = copySource(from, stages, escape, instruction.location);
        dependencies.push({ source, instruction, via: 'COPY --from', written: from });
      }
    }

    if (instruction.keyword === 'RUN') {
      for (const from of mountSources(instruction)) {
        const source = namedSource(from, stages);
        dependencies.push({ source, instruction, via: 'RUN --mount from', written: from });
      }
    }
  }

  return dependencies;
}

function copySource(from: string, stages: readonly Stage[], escape: string, location: SourceLocation): SourceReference {
  if (expandFromValue(from, escape, location) !== from) {
    fail(location, `--from=${from} cannot use variables: define a stage with FROM and name it in --from`);
  }

  if (/^[+-]?[0-9]+$/.test(from)) {
    const index = Number.parseInt(from, 10);
    if (index < 0 || index >= stages.length) {
      fail(location, `--from=${from} names stage index ${index}, but the Dockerfile has ${stages.length} stages`);
    }
    return { kind: 'stage', index };
  }

  return namedSource(from, stages);
}

/** Finds what a `--from` (COPY) or `from=` (RUN --mount) value names. */
export function sourceReference(
  written: string,
  via: Dependency['via'],
  stages: readonly Stage[],
  escape: string,
  location: SourceLocation,
): SourceReference {
  return via === 'COPY --from' ? copySource(written, stages, escape, location) : namedSource(written, stages);
}

/** Processes a `--from` value with no variables set, as BuildKit does to detect variables in it. */
function expandFromValue(from: string, escape: string, location: SourceLocation): string {
  try {
    return expandWord(from, { escape, lookup: NO_VARIABLES }).word;
  } catch (error) {
    if (error instanceof ExpansionError) {
      fail(location, `cannot read --from=${from}: ${error.message}`);
    }
    throw error;
  }
}

/** Finds a stage by name without case, the last one of that name as in BuildKit, else names an image. */
function namedSource(from: string, stages: readonly Stage[]): SourceReference {
  const name = from.toLowerCase();
  for (let index = stages.length - 1; index >= 0; index--) {
    if (stages[index]?.name === name) {
      return { kind: 'stage', index };
    }
  }
  return { kind: 'image', reference: from };
}

/** The `from=` values of an instruction's mounts. */
export function mountSources(instruction: Instruction): string[] {
  const sources: string[] = [];
  for (const value of flagValues(instruction.flags, 'mount')) {
    const from = parseMountAt(value, instruction.location).from;
    if (from !== undefined && from !== '') {
      sources.push(from);
    }
  }
  return sources;
}

export function parseMountAt(value: string, location: SourceLocation): ReturnType<typeof parseMount> {
  try {
    return parseMount(value);
  } catch (error) {
    if (error instanceof MountError) {
      fail(location, error.message);
    }
    throw error;
  }
}

/** Collects the target and every stage it reaches through FROM and the given dependencies. */
export function neededStageIndexes(
  plans: readonly StagePlan[],
  dependencies: (index: number) => readonly Dependency[],
  target: number,
): Set<number> {
  const needed = new Set<number>();
  const pending = [target];

  while (pending.length > 0) {
    const index = pending.pop() as number;
    if (needed.has(index)) {
      continue;
    }
    needed.add(index);

    const base = plans[index]?.base;
    if (base?.kind === 'stage') {
      pending.push(base.index);
    }
    for (const dependency of dependencies(index)) {
      if (dependency.source.kind === 'stage') {
        pending.push(dependency.source.index);
      }
    }
  }

  return needed;
}

/** Finds the target stage by name without case; `undefined` means the last stage. */
export function targetIndex(parsed: ParsedDockerfile, target: string | undefined): number {
  if (target === undefined) {
    return parsed.stages.length - 1;
  }

  const name = target.toLowerCase();
  for (let index = parsed.stages.length - 1; index >= 0; index--) {
    if (parsed.stages[index]?.name === name) {
      return index;
    }
  }

  const names = parsed.stages.flatMap((stage) => (stage.name === undefined ? [] : [stage.name]));
  const fix = names.length === 0 ? 'which names no stages; remove the target or add FROM … AS ' + target : `whose stages are ${names.join(', ')}; use one of them`;
  throw new ImagesumError('dockerfile', `target stage "${target}" not found in ${parsed.file}, ${fix}`);
}

export function fail(location: SourceLocation, message: string): never {
  throw new ImagesumError('dockerfile', message, location);
}
