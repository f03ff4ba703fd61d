import { dirname } from 'node:path';

import type { FileDigest } from '../digest.js';
import {
  currentTimeNs,
  decodeStateFile,
  encodeStateFile,
  isSafelyOlder,
  readStateFile,
  statKeyText,
  writeFileAtomically,
  type DecodedStateFile,
  type StateFileFormat,
  type StatKey,
} from '../state-files.js';

export { RACY_WINDOW_NS, statKeyOf, type StatKey } from '../state-files.js';

interface CacheEntry {
  /** The stat key as `size:mtimeNs:ctimeNs:ino`, compared as text so that loading parses no numbers. */
  readonly key: string;
  readonly digest: FileDigest;
  /** The stat of an entry recorded in this run, for the racy check when saving. Loaded entries passed it. */
  readonly recorded?: StatKey;
}

export const STAT_CACHE_VERSION = 2;
const FORMAT: StateFileFormat = { kind: 'stat cache', magic: 'imagesum-stat-cache', version: STAT_CACHE_VERSION };

const DIGEST_PATTERN = /^[0-9a-f]{64}$/;
// Times before 1970 are negative, and one such file must not make the whole cache unreadable.
const KEY_PATTERN = /^[0-9]{1,20}:-?[0-9]{1,20}:-?[0-9]{1,20}:[0-9]{1,20}$/;

/**
 * File digests keyed on absolute path, kept between runs. The file is one header line
 * `imagesum-stat-cache <version> <sha256 of the body>` and a JSON body. A file with another version, a bad
 * checksum or a malformed body is ignored as a whole, so the cache starts empty and every file is hashed.
 */
export class StatCache {
  private readonly entries: Map<string, CacheEntry>;
  /** Reason the loaded file was ignored, or `undefined` when it was used or absent. */
  readonly rejection: string | undefined;
  /**
   * Whether the file on disk no longer matches: a digest was recorded, or nothing usable was loaded. A run
   * that only hit stored entries leaves the file as it is, because rewriting it would change nothing.
   */
  private changed: boolean;

  constructor(loaded?: Map<string, CacheEntry>, rejection?: string) {
    this.entries = loaded ?? new Map();
    this.rejection = rejection;
    this.changed = loaded === undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  get needsSave(): boolean {
    return this.changed;
  }

  /**
   * Returns the stored digest when every stat field matches. Only loaded entries count: the save left out
   * the racy ones, and an entry recorded in this run has not been checked for raciness yet.
   */
  lookup(path: string, key: StatKey): FileDigest | undefined {
    const entry = this.entries.get(path);
    if (entry === undefined || entry.recorded !== undefined || entry.key !== statKeyText(key)) {
      return undefined;
    }
    return entry.digest;
  }

  /** Stores a digest, which the next save keeps unless the file changed within the racy window of the save. */
  record(path: string, key: StatKey, digest: FileDigest): void {
    this.entries.set(path, { key: statKeyText(key), digest, recorded: key });
    this.changed = true;
  }

  /** Encodes the cache as saved at `writtenAtNs`, leaving out entries recorded within the racy window of it. */
  serialize(writtenAtNs: bigint): Buffer {
    const rows: [string, string, string][] = [];
    for (const [path, entry] of this.entries) {
      const stat = entry.recorded;
      if (stat === undefined || isSafelyOlder(stat, writtenAtNs)) {
        rows.push([path, entry.key, entry.digest]);
      }
    }
    return encodeStateFile(FORMAT, JSON.stringify({ entries: rows }));
  }

  /** Decodes `serialize` output; returns an empty cache with `rejection` set for anything else. */
  static parse(text: string | Buffer): StatCache {
    return StatCache.fromDecoded(decodeStateFile(FORMAT, typeof text === 'string' ? Buffer.from(text) : text));
  }

  private static fromDecoded(decoded: DecodedStateFile): StatCache {
    if (decoded.body === undefined) {
      return new StatCache(undefined, decoded.rejection);
    }

    let value: unknown;
    try {
      value = JSON.parse(decoded.body.toString('utf8'));
    } catch {
      return new StatCache(undefined, 'body is not JSON');
    }
    const loaded = decodeBody(value);
    return loaded === undefined ? new StatCache(undefined, 'body has an unexpected shape') : new StatCache(loaded);
  }

  /** Loads the cache file. A missing file gives an empty cache; an unreadable or invalid one an empty cache with `rejection` set. */
  static load(file: string): StatCache {
    const decoded = readStateFile(FORMAT, file);
    return decoded === undefined ? new StatCache() : StatCache.fromDecoded(decoded);
  }
}

/** Decodes `{ entries: [[path, key, digest], ...] }`, or returns `undefined` when any part has another shape. */
function decodeBody(value: unknown): Map<string, CacheEntry> | undefined {
  const entries = typeof value === 'object' && value !== null ? (value as { entries?: unknown }).entries : undefined;
  if (!Array.isArray(entries)) {
    return undefined;
  }

  const decoded = new Map<string, CacheEntry>();
  for (const row of entries) {
    if (!Array.isArray(row) || row.length !== 3) {
      return undefined;
    }
    const [path, key, digest] = row as unknown[];
    if (typeof path !== 'string' || !path.startsWith('/') || typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      return undefined;
    }
    if (typeof digest !== 'string' || !DIGEST_PATTERN.test(digest)) {
      return undefined;
    }
    decoded.set(path, { key, digest: digest as FileDigest });
  }
  return decoded;
}

/**
 * Loads the cache file. A missing, unreadable, corrupt, truncated or foreign-version file gives an empty
 * cache (its `rejection` gives the reason, except for a missing file), so the run hashes every file again.
 */
export function loadStatCache(file: string): StatCache {
  return StatCache.load(file);
}

/**
 * Writes the cache atomically: to a temporary file in the same folder, then renamed over `file`. The racy
 * window counts back from `readStartedAtNs`, a time taken before the run read any file, so that no file
 * changed while the run read it is trusted. It defaults to the time of the save.
 */
export function saveStatCache(cache: StatCache, file: string, readStartedAtNs: bigint = currentTimeNs(dirname(file))): void {
  writeFileAtomically(file, cache.serialize(readStartedAtNs));
}
