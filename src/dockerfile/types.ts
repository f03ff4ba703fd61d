import type { SourceLocation } from '../errors.js';

/**
 * The public shape of a read Dockerfile. Two layers, as BuildKit has them: `parse` turns text into stages of
 * typed instructions with their source lines, and `resolve` applies build args, target and platform to say
 * what one build of that Dockerfile reads. Lines count from 1.
 */

export type EscapeCharacter = '\\' | '`';

/** The builder that will run the build. The classic builder and BuildKit read some inputs differently. */
export type BuilderKind = 'buildkit' | 'classic';

export interface Directive {
  readonly name: string;
  readonly value: string;
  readonly line: number;
}

/** A `--name=value` option before an instruction's arguments, exactly as written (unexpanded). */
export interface InstructionFlag {
  readonly name: string;
  /** `undefined` for a bare `--name` without `=`. */
  readonly value: string | undefined;
}

/** A heredoc body attached to RUN, COPY or ADD. */
export interface Heredoc {
  readonly name: string;
  /** The body verbatim, after `<<-` tab stripping, ending with a newline as BuildKit stores it. */
  readonly content: string;
  /** Whether the delimiter was unquoted, so the builder expands variables in the body. */
  readonly expand: boolean;
  readonly chomp: boolean;
}

/**
 * One instruction as the builder reads it, before variable expansion. `keyword` is upper case. `text` is the
 * argument text after the flags, with continuation lines joined as BuildKit joins them and surrounding
 * whitespace trimmed. `exec` contains the JSON array when the instruction is in exec form.
 */
export interface Instruction {
  readonly keyword: string;
  readonly flags: readonly InstructionFlag[];
  readonly text: string;
  /**
   * The JSON array of exec form. It stays `undefined` when text follows the closing bracket: BuildKit ignores
   * that text, but a checksum over `text` then still covers it.
   */
  readonly exec: readonly string[] | undefined;
  /** Heredoc bodies; for ONBUILD, those of its trigger. */
  readonly heredocs: readonly Heredoc[];
  readonly location: SourceLocation;
  readonly endLine: number;
  /** For ONBUILD: the wrapped instruction, whose `text` follows the trigger's keyword and flags. */
  readonly trigger?: Instruction | undefined;
}

export interface Stage {
  readonly index: number;
  /** Lower-cased `AS` name, because stage names are case-insensitive. */
  readonly name: string | undefined;
  readonly from: Instruction;
  /** The instructions after FROM, up to the next FROM. */
  readonly instructions: readonly Instruction[];
}

export interface ParsedDockerfile {
  readonly file: string;
  readonly escape: EscapeCharacter;
  readonly directives: readonly Directive[];
  /** ARG instructions before the first FROM. */
  readonly globalArgs: readonly Instruction[];
  readonly stages: readonly Stage[];
}

/** Settings of one build beyond the Dockerfile text. */
export interface ResolveOptions {
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Target stage name; `undefined` builds the last stage. */
  readonly target: string | undefined;
  /** Target platform such as `linux/amd64`; `undefined` means the engine's own platform. */
  readonly platform: string | undefined;
  /** The engine's platform, for `BUILDPLATFORM` and for `TARGETPLATFORM` when no platform is set. */
  readonly buildPlatform: string;
  readonly builder: BuilderKind;
  /** Facts a Dockerfile reads from a base image in the tree: its ENV and ONBUILD triggers. */
  readonly baseImage: (reference: string) => BaseImageFacts | undefined;
}

export interface BaseImageFacts {
  readonly env: Readonly<Record<string, string>>;
  readonly onbuild: readonly Instruction[];
}

/** A read from the build context by COPY, ADD or `RUN --mount=type=bind` without `from`. */
export interface ContextRead {
  readonly instruction: 'COPY' | 'ADD' | 'RUN --mount';
  /** Source paths after variable expansion, relative to the context root, as written (may hold wildcards). */
  readonly sources: readonly string[];
  /** `--exclude` patterns after expansion. */
  readonly excludes: readonly string[];
  /** `--parents` was given, so matched paths keep their parent folders. */
  readonly parents: boolean;
  /**
   * Set when a source contains a variable that imagesum cannot resolve (for example one an external base image
   * sets with ENV): the whole context then counts, because the builder may read any of it.
   */
  readonly wholeContext: boolean;
  readonly location: SourceLocation;
}

/** An image named by FROM, `--from` or `from=`, after expansion, as written. */
export interface ImageUse {
  readonly reference: string;
  readonly via: 'FROM' | 'COPY --from' | 'RUN --mount from';
  readonly location: SourceLocation;
}

/** An input the text does not pin: `ADD <url>` or `ADD <git repository>` without `--checksum`. */
export interface UnverifiableInput {
  readonly source: string;
  readonly location: SourceLocation;
}

export interface ResolvedStage {
  readonly index: number;
  readonly name: string | undefined;
  readonly base:
    | { readonly kind: 'scratch' }
    | { readonly kind: 'stage'; readonly index: number }
    | { readonly kind: 'image'; readonly use: ImageUse };
  /** Expanded `FROM --platform` value. */
  readonly platform: string | undefined;
  /**
   * The instructions this stage runs, FROM first, including ONBUILD triggers inherited from a base in the
   * tree (placed right after FROM, as the builder runs them).
   */
  readonly instructions: readonly Instruction[];
  /** ARGs this stage declares, with their effective values; `null` where an ARG has no value at all. */
  readonly args: Readonly<Record<string, string | null>>;
  readonly contextReads: readonly ContextRead[];
  /** Images other than the base read by `COPY --from` or `RUN --mount from=`. */
  readonly imageUses: readonly ImageUse[];
  readonly unverifiable: readonly UnverifiableInput[];
  /** The ENV of the stage at its end, for children of this image that expand variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Triggers this stage declares with ONBUILD, parsed, for the images that build FROM it. */
  readonly onbuildTriggers: readonly Instruction[];
}

export interface ResolvedBuild {
  readonly file: string;
  readonly escape: EscapeCharacter;
  /** Only the stages the target needs, in Dockerfile order, because the builder builds only those. */
  readonly stages: readonly ResolvedStage[];
  readonly targetIndex: number;
  /** Global ARGs (before the first FROM) that a needed FROM line or stage uses, with effective values. */
  readonly globalArgs: Readonly<Record<string, string | null>>;
  /**
   * Images that stages the target does not need read with FROM or `COPY --from`. The classic builder still
   * builds every stage up to the target, so these images must exist first, but the result does not depend
   * on them. Always empty for BuildKit, which skips such stages.
   */
  readonly skippedStageImages: readonly ImageUse[];
}
