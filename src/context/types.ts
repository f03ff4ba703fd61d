import type { FileDigest } from '../digest.js';
import type { BuilderKind, ContextRead } from '../dockerfile/types.js';

/**
 * One path a build reads from its context, relative to the context root with `/` separators. Owner and mtime
 * are left out because the builder resets ownership and the image content does not depend on them.
 */
export type ContextEntry =
  | { readonly path: string; readonly type: 'file'; readonly mode: number; readonly digest: FileDigest }
  | { readonly path: string; readonly type: 'directory'; readonly mode: number }
  | { readonly path: string; readonly type: 'symlink'; readonly target: string };

export interface OpenContextOptions {
  /** Absolute path of the context folder. */
  readonly dir: string;
  /** Absolute path of the Dockerfile, because BuildKit reads `<Dockerfile>.dockerignore` beside it. */
  readonly dockerfile: string;
  readonly builder: BuilderKind;
}

/** Identifies what a context contains after the ignore file, for caches of what is computed from it. */
export interface ContextFingerprint {
  /** SHA-256 of every path with its kind, mode, and link target or stat key. */
  readonly digest: string;
  /** Latest mtime or ctime of a regular file, in ns. A cache trusts the digest only when this is older than the racy window. */
  readonly newestFileChangeNs: bigint;
}

/** The files a build context contains after `.dockerignore`, and the selection of them that instructions read. */
export interface BuildContext {
  readonly dir: string;
  /** Absolute path of the ignore file that applies, or `undefined` when none exists. */
  readonly ignoreFile: string | undefined;
  /** Returns the entries one COPY, ADD or bind mount reads, sorted by path; raises for a source outside the context. */
  select(read: ContextRead): readonly ContextEntry[];
  /** Walks the context, unless an earlier call did, and returns what identifies its content. */
  fingerprint(): ContextFingerprint;
}
