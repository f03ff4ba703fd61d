import { resolve } from 'node:path';

import type { ContextRead } from '../dockerfile/types.js';
import type { FileHasher } from './hasher.js';
import { findIgnoreFile, IgnoreMatcher, readIgnoreFile } from './ignorefile.js';
import { selectEntries } from './select.js';
import { ContextSnapshot } from './snapshot.js';
import type { BuildContext, ContextEntry, OpenContextOptions } from './types.js';

export type { BuildContext, ContextEntry, ContextFingerprint, OpenContextOptions } from './types.js';
export { createFileHasher, FileHasher } from './hasher.js';
export { loadStatCache, saveStatCache, StatCache, STAT_CACHE_VERSION } from './statcache.js';

/** Walks of one run, shared per hasher and keyed by context folder and ignore file. */
const snapshotsByRun = new WeakMap<FileHasher, Map<string, ContextSnapshot>>();

/**
 * Opens a build context: finds and reads the ignore file that applies to the builder now, so a bad
 * pattern fails early, and walks the context on the first `select`. Contexts opened with the same hasher
 * share one walk per (context folder, ignore file). Raises a 'dockerignore' error for an invalid pattern.
 */
export function openBuildContext(options: OpenContextOptions & { hasher: FileHasher }): BuildContext {
  const dir = resolve(options.dir);
  const ignoreFile = findIgnoreFile(dir, resolve(options.dockerfile), options.builder);
  const patterns = ignoreFile === undefined ? [] : readIgnoreFile(ignoreFile);

  let snapshots = snapshotsByRun.get(options.hasher);
  if (snapshots === undefined) {
    snapshots = new Map();
    snapshotsByRun.set(options.hasher, snapshots);
  }
  const runSnapshots = snapshots;
  const key = `${dir}\u0000${ignoreFile ?? ''}`;

  const snapshot = (): ContextSnapshot => {
    let shared = runSnapshots.get(key);
    if (shared === undefined) {
      shared = new ContextSnapshot(dir, new IgnoreMatcher(patterns, ignoreFile));
      runSnapshots.set(key, shared);
    }
    return shared;
  };

  return {
    dir,
    ignoreFile,
    select(read: ContextRead): readonly ContextEntry[] {
      return selectEntries(snapshot(), options.hasher, read);
    },
    fingerprint() {
      const { digest, newestFileChangeNs } = snapshot();
      return { digest, newestFileChangeNs };
    },
  };
}
