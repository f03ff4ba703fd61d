import type { ContextEntry } from '../context/types.js';
import type { ImageChecksum, ImageDigest } from '../digest.js';
import type { BuilderKind, EscapeCharacter, Heredoc, InstructionFlag } from '../dockerfile/types.js';

/**
 * The input manifest: everything that decides the content of one image, in canonical form. Its checksum is
 * the image's checksum. Line numbers, comments and layout are absent on purpose, because the builder ignores
 * them. The comment on each field gives the reason it is part of the key.
 */
export interface InputManifest {
  /** Bumped whenever imagesum changes what it hashes, so that a label written by an older reading never matches. */
  readonly version: typeof MANIFEST_VERSION;
  /** BuildKit and the classic builder read `.dockerignore` files and some instructions differently. */
  readonly builder: BuilderKind;
  /**
   * Index of the stage that becomes the image. The index, not the name as written, because `--target Build`,
   * `--target build` and no target at all can all pick the same last stage.
   */
  readonly targetStage: number;
  /** Chooses base image variants and sets the `TARGET*` args. */
  readonly platform: string | null;
  /** Changes how the builder splits every line that follows, so the same text can mean another command. */
  readonly escape: EscapeCharacter;
  /**
   * SHA-256 of each predefined proxy build arg that is set (HTTP_PROXY and the like). Every RUN step can read
   * them without an ARG line, so a changed proxy can change what a step writes. Only digests are kept,
   * because proxy URLs may carry credentials.
   */
  readonly proxyArgs: Readonly<Record<string, string>>;
  /** Global ARG values, because FROM lines and stages that redeclare them read these values. */
  readonly globalArgs: Readonly<Record<string, string | null>>;
  /** Only the stages the target needs: the builder skips the others, so they cannot change the image. */
  readonly stages: readonly StageInputs[];
}

export const MANIFEST_VERSION = 1;

export interface StageInputs {
  /** Stage order decides `--from=<index>` and which stage a name refers to. */
  readonly index: number;
  /** The stage's starting point, whose files, ENV and ONBUILD triggers all become part of the image. */
  readonly base: BaseInputs;
  /** The instructions, normalised so that only what reaches the builder counts. */
  readonly instructions: readonly InstructionInputs[];
  /** ARG values the stage declares: RUN commands and expansions read them. */
  readonly args: Readonly<Record<string, string | null>>;
  /** The build-context files that COPY, ADD and bind mounts read: their content ends up in the image. */
  readonly contextReads: readonly ContextReadInputs[];
  /** Other images read with `COPY --from` or `RUN --mount from=`. */
  readonly images: readonly ImageInputs[];
  /** Sources the text cannot pin, such as `ADD https://…`; listed so the reason shows in `--inputs`. */
  readonly unverifiable: readonly string[];
}

export type BaseInputs =
  | { readonly kind: 'scratch' }
  | { readonly kind: 'stage'; readonly index: number }
  | ImageInputs;

/** An image the build reads: a tree image counts by its own checksum, an external one by its identity. */
export type ImageInputs =
  | { readonly kind: 'local'; readonly name: string; readonly checksum: ImageChecksum }
  | { readonly kind: 'external'; readonly identity: ExternalIdentity };

/**
 * The identity of an external image. A digest written in the text pins the content exactly. Otherwise the
 * engine's image ID names the image the builder will use, and without an engine only the reference is known.
 */
export type ExternalIdentity =
  | { readonly kind: 'digest'; readonly digest: ImageDigest }
  | { readonly kind: 'image-id'; readonly reference: string; readonly id: string }
  | { readonly kind: 'reference'; readonly reference: string };

export interface InstructionInputs {
  readonly keyword: string;
  readonly flags: readonly InstructionFlag[];
  /** The JSON array for exec form, because spacing between its elements does not reach the builder. */
  readonly exec: readonly string[] | null;
  /** The shell-form text, kept with its inner whitespace, because the shell receives it as written. */
  readonly text: string | null;
  readonly heredocs: readonly Heredoc[];
}

export interface ContextReadInputs {
  readonly instruction: string;
  /** Sources and excludes as expanded: the same files at other destinations or with other flags differ. */
  readonly sources: readonly string[];
  readonly excludes: readonly string[];
  readonly parents: boolean;
  /** The matched entries, sorted by path, so an added, removed or renamed file changes the checksum. */
  readonly entries: readonly ContextEntry[];
}
