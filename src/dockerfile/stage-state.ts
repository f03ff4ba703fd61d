import type { SourceLocation } from '../errors.js';
import { flagIsTrue, flagValue, flagValues } from './flags.js';
import { parseHeredocWordQuietly } from './heredocs.js';
import { MOUNT_TYPES } from './mounts.js';
import { argOperands, keyValueOperands, sourcesAndDestination } from './operands.js';
import { expandAt } from './scope.js';
import type { VariableScope } from './scope.js';
import { fail, parseMountAt } from './stages.js';
import type { SourceReference } from './stages.js';
import type {
  BuilderKind,
  ContextRead,
  ImageUse,
  Instruction,
  ResolveOptions,
  UnverifiableInput,
} from './types.js';

/**
 * The inputs one stage reads while its instructions run in order: ARG and ENV values as they change, context reads,
 * images and unpinned remote sources. Each handler follows the matching dispatch function of BuildKit's
 * dockerfile2llb/convert.go.
 */
export class StageState {
  readonly args: Record<string, string | null> = {};
  readonly redeclaredNames = new Set<string>();
  readonly contextReads: ContextRead[] = [];
  readonly imageUses: ImageUse[] = [];
  readonly unverifiable: UnverifiableInput[] = [];
  readonly onbuildTriggers: Instruction[] = [];

  constructor(
    /** ENV and ARG values, which RUN and later expansions see. */
    readonly scope: VariableScope,
    /** ENV values only, which the image config keeps for children. */
    readonly imageEnv: Map<string, string>,
    private readonly settings: StageSettings,
  ) {}

  /** Applies one instruction; `operandEscape` is `\` for ONBUILD triggers, which BuildKit parses afresh. */
  apply(instruction: Instruction, operandEscape: string): void {
    switch (instruction.keyword) {
      case 'ARG':
        this.applyArg(instruction, operandEscape);
        return;
      case 'ENV':
        this.applyEnv(instruction, operandEscape);
        return;
      case 'COPY':
      case 'ADD':
        this.applyCopy(instruction);
        return;
      case 'RUN':
        this.applyRunMounts(instruction);
        return;
      case 'ONBUILD':
        if (instruction.trigger !== undefined) {
          this.onbuildTriggers.push(instruction.trigger);
        }
        return;
      default:
        return;
    }
  }

  private applyArg(instruction: Instruction, operandEscape: string): void {
    const { buildArgs } = this.settings.options;

    for (const declaration of argOperands(instruction.text, operandEscape)) {
      const { name, defaultValue } = declaration;
      let value: string | undefined;
      let guessed = false;

      if (Object.hasOwn(buildArgs, name)) {
        value = buildArgs[name];
      } else if (defaultValue !== undefined) {
        const result = this.expand(defaultValue, instruction.location);
        value = result.word;
        guessed = result.unknown.size > 0;
      } else {
        value = this.settings.globals.get(name);
      }

      if (value !== undefined) {
        this.scope.set(name, value, guessed);
      }
      if (!isProxyArg(name)) {
        this.args[name] = value ?? null;
      }
      this.redeclaredNames.add(name);
    }
  }

  /** Expands every pair before setting any, so `ENV A=1 B=$A` reads the earlier A, as in BuildKit. */
  private applyEnv(instruction: Instruction, operandEscape: string): void {
    const pairs = keyValueOperands('ENV', instruction.text, operandEscape).map((pair) => {
      const key = this.expand(pair.key, instruction.location);
      const value = this.expand(pair.value, instruction.location);
      return { key: key.word, value: value.word, guessed: key.unknown.size + value.unknown.size > 0 };
    });

    for (const pair of pairs) {
      this.scope.set(pair.key, pair.value, pair.guessed);
      this.imageEnv.set(pair.key, pair.value);
    }
  }

  private applyCopy(instruction: Instruction): void {
    const location = instruction.location;
    const { sources, destination } = sourcesAndDestination(instruction.text);
    if (destination !== undefined && parseHeredocWordQuietly(destination) !== undefined) {
      fail(location, `${instruction.keyword} cannot take a heredoc as its destination: name a path instead`);
    }

    const from = instruction.keyword === 'COPY' ? flagValue(instruction.flags, 'from') : undefined;
    if (from !== undefined) {
      this.useSource(this.settings.resolveSource(from, 'COPY --from'), from, 'COPY --from', location);
      return;
    }

    this.readContext(instruction, sources, location);
  }

  private readContext(instruction: Instruction, sources: readonly string[], location: SourceLocation): void {
    const paths: string[] = [];
    let wholeContext = false;
    const checksum = flagValue(instruction.flags, 'checksum');

    for (const source of sources) {
      // A heredoc source is inline content, not a file of the context.
      if (parseHeredocWordQuietly(source) !== undefined) {
        continue;
      }

      const result = this.expand(source, instruction.location);
      wholeContext ||= result.unknown.size > 0;
      if (instruction.keyword === 'ADD' && isRemoteSource(result.word, this.settings.options.builder)) {
        if (checksum === undefined) {
          this.unverifiable.push({ source: result.word, location });
        }
        continue;
      }

      // BuildKit reads an empty source as the context root.
      paths.push(result.word === '' ? '.' : result.word);
    }

    const excludes = flagValues(instruction.flags, 'exclude').map((pattern) => {
      const result = this.expand(pattern, instruction.location);
      wholeContext ||= result.unknown.size > 0;
      return result.word;
    });

    if (paths.length > 0) {
      const parents = flagIsTrue(instruction.flags, 'parents');
      const kind = instruction.keyword === 'ADD' ? 'ADD' : 'COPY';
      this.contextReads.push({ instruction: kind, sources: paths, excludes, parents, wholeContext, location });
    }
  }

  private applyRunMounts(instruction: Instruction): void {
    const location = instruction.location;

    for (const value of flagValues(instruction.flags, 'mount')) {
      const mount = parseMountAt(value, location);
      const type = this.mountType(mount.type, instruction);

      if (mount.from !== undefined && mount.from !== '') {
        this.useSource(this.settings.resolveSource(mount.from, 'RUN --mount from'), mount.from, 'RUN --mount from', location);
        continue;
      }
      if (type.known && type.value !== 'bind') {
        continue;
      }

      const source = mount.source === undefined ? undefined : this.expand(mount.source, instruction.location);
      const path = source === undefined || source.word === '' ? '.' : source.word;
      const wholeContext = !type.known || (source !== undefined && source.unknown.size > 0);
      this.contextReads.push({ instruction: 'RUN --mount', sources: [path], excludes: [], parents: false, wholeContext, location });
    }
  }

  /** The expanded mount type; an unknown value counts as a bind mount, so imagesum reads more, not less. */
  private mountType(written: string | undefined, instruction: Instruction): { value: string; known: boolean } {
    if (written === undefined) {
      return { value: 'bind', known: true };
    }

    const result = this.expand(written, instruction.location);
    const value = result.word.toLowerCase();
    if (result.unknown.size > 0) {
      return { value, known: false };
    }
    if (!MOUNT_TYPES.has(value)) {
      fail(instruction.location, `unsupported mount type "${result.word}": use bind, cache, tmpfs, secret or ssh`);
    }
    return { value, known: true };
  }

  private useSource(source: SourceReference, written: string, via: SourceVia, location: SourceLocation): void {
    if (source.kind === 'image') {
      this.imageUses.push({ reference: written, via, location });
    }
  }

  private expand(text: string, location: SourceLocation): ReturnType<typeof expandAt> {
    return expandAt(text, this.settings.escape, this.scope, location);
  }
}

type SourceVia = 'COPY --from' | 'RUN --mount from';

export interface StageSettings {
  readonly options: ResolveOptions;
  /** Escape character of the Dockerfile that runs the stage, used for expansion. */
  readonly escape: string;
  /** Global ARG values, which `ARG NAME` without a default takes. */
  readonly globals: VariableScope;
  readonly resolveSource: (written: string, via: SourceVia) => SourceReference;
}

const PROXY_ARGS = new Set(['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'all_proxy']);

/**
 * Reports whether `name` is a proxy ARG the builders predefine. Every RUN step can read these without an ARG
 * line, so they are left out of stage ARG values and the checksum counts them once per image instead.
 */
export function isProxyArg(name: string): boolean {
  return PROXY_ARGS.has(name.toLowerCase());
}

/**
 * Reports whether ADD fetches the source from the network. BuildKit also clones git repositories, but the classic builder
 * downloads only http(s) URLs and reads anything else from the context.
 */
export function isRemoteSource(source: string, builder: BuilderKind): boolean {
  if (/^https?:\/\//i.test(source)) {
    return true;
  }
  if (builder === 'classic') {
    return false;
  }
  return /^(git|ssh):\/\//i.test(source) || /^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:/.test(source);
}
