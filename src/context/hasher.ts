import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

import type { FileDigest } from '../digest.js';
import { ImagesumError } from '../errors.js';
import { statKeyText } from '../state-files.js';
import { StatCache, statKeyOf, type StatKey } from './statcache.js';

/** Size of the reused read buffer. */
const READ_BUFFER_SIZE = 4 * 1024 * 1024;
const STABLE_READ_ATTEMPTS = 3;

/**
 * Hashes regular files for every build context of one run. Each absolute path is hashed at most once per
 * run and stat key, and a digest from the persistent stat cache is reused when size, mtime, ctime and inode
 * all match (racy entries are never saved, see `RACY_WINDOW_NS`).
 */
export class FileHasher {
  private source: StatCache | (() => StatCache);
  private readonly memo = new Map<string, FileDigest>();
  private readonly buffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);
  /** Number of files read and hashed in this run, for reports and tests. */
  hashedCount = 0;

  /** `cache` may be a loader, so that a run which hashes no file never reads the cache file. */
  constructor(cache: StatCache | (() => StatCache) = new StatCache()) {
    this.source = cache;
  }

  get cache(): StatCache {
    if (typeof this.source === 'function') {
      this.source = this.source();
    }
    return this.source;
  }

  /** Reports whether the stat cache was loaded, which a run that reused every checksum does not need. */
  get cacheLoaded(): boolean {
    return typeof this.source !== 'function';
  }

  /**
   * Returns the lowercase hex SHA-256 of a regular file's bytes. `known` is a stat the caller already took
   * of this regular file, which saves a system call on a cache hit. Raises a 'context' error when unreadable.
   */
  hashFile(absolutePath: string, known?: StatKey): FileDigest {
    // Two walks of one file (one context with two ignore files) can see it before and after a change, and
    // each must get the digest that matches its own stat key, which the context fingerprint records.
    const memoKey = known === undefined ? absolutePath : `${absolutePath}\0${statKeyText(known)}`;
    const memoised = this.memo.get(memoKey);
    if (memoised !== undefined) {
      return memoised;
    }

    const digest = this.readDigest(absolutePath, known);
    this.memo.set(memoKey, digest);
    return digest;
  }

  private readDigest(absolutePath: string, known: StatKey | undefined): FileDigest {
    // A cache hit needs at most one stat call, while open, fstat and close cost three, which showed in warm profiles.
    const key = known ?? statKeyOrUndefined(absolutePath);
    const cached = key === undefined ? undefined : this.cache.lookup(absolutePath, key);
    if (cached !== undefined) {
      return cached;
    }

    let descriptor: number;
    try {
      descriptor = openSync(absolutePath, 'r');
    } catch (error) {
      throw unreadable(absolutePath, error);
    }

    try {
      for (let attempt = 0; attempt < STABLE_READ_ATTEMPTS; attempt++) {
        const before = statKeyOf(fstatSync(descriptor, { bigint: true }));
        const cached = this.cache.lookup(absolutePath, before);
        if (cached !== undefined) {
          return cached;
        }

        const digest = this.hashDescriptor(descriptor);
        const after = statKeyOf(fstatSync(descriptor, { bigint: true }));
        // A file written while it was read gives a digest of neither version, so it is read again.
        if (sameKey(before, after)) {
          this.hashedCount++;
          this.cache.record(absolutePath, after, digest);
          return digest;
        }
      }
    } catch (error) {
      throw unreadable(absolutePath, error);
    } finally {
      closeSync(descriptor);
    }

    throw new ImagesumError('context', `file ${absolutePath} kept changing while it was read; retry when it is no longer being written`);
  }

  /**
   * Hashes from offset 0 with positional reads into one reused 4 MiB buffer, so a retry after a change
   * rereads the whole file. A file up to 4 MiB takes one read, as cheap as `readFileSync`.
   */
  private hashDescriptor(descriptor: number): FileDigest {
    const hash = createHash('sha256');
    let position = 0;
    for (;;) {
      const count = readSync(descriptor, this.buffer, 0, this.buffer.length, position);
      if (count === 0) {
        break;
      }
      hash.update(this.buffer.subarray(0, count));
      position += count;
    }
    return hash.digest('hex') as FileDigest;
  }
}

/** Creates a hasher for one run, backed by a stat cache from `loadStatCache` (or its loader) or by an empty one. */
export function createFileHasher(cache?: StatCache | (() => StatCache)): FileHasher {
  return new FileHasher(cache);
}

function statKeyOrUndefined(absolutePath: string): StatKey | undefined {
  const stats = statSync(absolutePath, { bigint: true, throwIfNoEntry: false });
  return stats === undefined ? undefined : statKeyOf(stats);
}

function sameKey(a: StatKey, b: StatKey): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

function unreadable(path: string, error: unknown): ImagesumError {
  if (error instanceof ImagesumError) {
    return error;
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new ImagesumError('context', `cannot read file ${path}: ${reason}; check that it exists and is readable`);
}
