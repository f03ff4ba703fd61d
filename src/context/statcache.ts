import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, type BigIntStats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import type { FileDigest } from '../digest.js';

/** File facts that must all be unchanged before a stored digest is reused. Times are in nanoseconds. */
export interface StatKey {
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly ino: bigint;
}

interface CacheEntry extends StatKey {
  readonly digest: FileDigest;
}

const MAGIC = 'imagesum-stat-cache';
export const STAT_CACHE_VERSION = 1;

/**
 * How much older than the cache's write time a file's mtime and ctime must be before its stored digest is
 * trusted. A file changed within this window of the write may keep the same timestamps after a further
 * change (git calls this a racy entry), so it is hashed again. Two seconds covers filesystems that store
 * times in whole seconds, and FAT's two-second steps.
 */
export const RACY_WINDOW_NS = 2_000_000_000n;

const DIGEST_PATTERN = /^[0-9a-f]{64}$/;
const INTEGER_PATTERN = /^[0-9]+$/;

/**
 * File digests keyed on absolute path, kept between runs. The file is one header line
 * `imagesum-stat-cache <version> <sha256 of the body>` and a JSON body. A file with another version, a bad
 * checksum or a malformed body is ignored as a whole, so the cache starts empty and every file is hashed.
 */
export class StatCache {
  private readonly entries = new Map<string, CacheEntry>();
  /** Entries older than this (ns since the epoch) are trusted; 0 when nothing was loaded. */
  private readonly trustedBeforeNs: bigint;
  /** Reason the loaded file was ignored, or `undefined` when it was used or absent. */
  readonly rejection: string | undefined;
  /**
   * Whether the file on disk no longer matches: a digest was recorded, or nothing usable was loaded. A run
   * that only hit trusted entries leaves the file as it is, because rewriting it would change nothing.
   */
  private changed: boolean;

  constructor(loaded?: { entries: Map<string, CacheEntry>; writtenAtNs: bigint }, rejection?: string) {
    if (loaded !== undefined) {
      for (const [path, entry] of loaded.entries) {
        this.entries.set(path, entry);
      }
    }
    this.trustedBeforeNs = loaded === undefined ? 0n : loaded.writtenAtNs - RACY_WINDOW_NS;
    this.rejection = rejection;
    this.changed = loaded === undefined;
  }

  get needsSave(): boolean {
    return this.changed;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Returns the stored digest when every stat field matches and the entry is not racy. */
  lookup(path: string, key: StatKey): FileDigest | undefined {
    const entry = this.entries.get(path);
    if (entry === undefined || !sameStat(entry, key)) {
      return undefined;
    }
    if (entry.mtimeNs >= this.trustedBeforeNs || entry.ctimeNs >= this.trustedBeforeNs) {
      return undefined;
    }
    return entry.digest;
  }

  /** Stores a digest; a racy entry recorded again gets a newer write time when the cache is saved. */
  record(path: string, key: StatKey, digest: FileDigest): void {
    this.entries.set(path, { ...key, digest });
    this.changed = true;
  }

  /** Encodes the cache with `writtenAtNs` as the time that later loads measure raciness against. */
  serialize(writtenAtNs: bigint): string {
    const rows = [...this.entries].map(([path, entry]) => [
      path,
      entry.size.toString(),
      entry.mtimeNs.toString(),
      entry.ctimeNs.toString(),
      entry.ino.toString(),
      entry.digest,
    ]);
    const body = JSON.stringify({ writtenAtNs: writtenAtNs.toString(), entries: rows });
    return `${MAGIC} ${STAT_CACHE_VERSION} ${sha256(body)}\n${body}`;
  }

  /** Decodes `serialize` output; returns an empty cache with `rejection` set for anything else. */
  static parse(text: string): StatCache {
    const newline = text.indexOf('\n');
    if (newline < 0) {
      return new StatCache(undefined, 'missing header line');
    }
    const header = text.slice(0, newline).split(' ');
    const body = text.slice(newline + 1);
    if (header.length !== 3 || header[0] !== MAGIC) {
      return new StatCache(undefined, 'not an imagesum stat cache');
    }
    if (header[1] !== String(STAT_CACHE_VERSION)) {
      return new StatCache(undefined, `unsupported version ${header[1] ?? ''}`);
    }
    if (header[2] !== sha256(body)) {
      return new StatCache(undefined, 'checksum mismatch (truncated or corrupt)');
    }

    let decoded: unknown;
    try {
      decoded = JSON.parse(body);
    } catch {
      return new StatCache(undefined, 'body is not JSON');
    }
    const loaded = decodeBody(decoded);
    if (loaded === undefined) {
      return new StatCache(undefined, 'body has an unexpected shape');
    }
    return new StatCache(loaded);
  }
}

function decodeBody(value: unknown): { entries: Map<string, CacheEntry>; writtenAtNs: bigint } | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const { writtenAtNs, entries } = value as { writtenAtNs?: unknown; entries?: unknown };
  if (typeof writtenAtNs !== 'string' || !INTEGER_PATTERN.test(writtenAtNs) || !Array.isArray(entries)) {
    return undefined;
  }

  const decoded = new Map<string, CacheEntry>();
  for (const row of entries) {
    if (!Array.isArray(row) || row.length !== 6 || !row.every((field) => typeof field === 'string')) {
      return undefined;
    }
    const [path, size, mtimeNs, ctimeNs, ino, digest] = row as string[];
    const numbers = [size, mtimeNs, ctimeNs, ino];
    if (!path?.startsWith('/') || !numbers.every((field) => INTEGER_PATTERN.test(field ?? '')) || !DIGEST_PATTERN.test(digest ?? '')) {
      return undefined;
    }
    decoded.set(path, {
      size: BigInt(size as string),
      mtimeNs: BigInt(mtimeNs as string),
      ctimeNs: BigInt(ctimeNs as string),
      ino: BigInt(ino as string),
      digest: digest as FileDigest,
    });
  }
  return { entries: decoded, writtenAtNs: BigInt(writtenAtNs) };
}

/**
 * Loads the cache file. A missing, unreadable, corrupt, truncated or foreign-version file gives an empty
 * cache (its `rejection` gives the reason, except for a missing file), so the run hashes every file again.
 */
export function loadStatCache(file: string): StatCache {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return new StatCache();
    }
    return new StatCache(undefined, `unreadable: ${error instanceof Error ? error.message : String(error)}`);
  }
  return StatCache.parse(text);
}

/**
 * Writes the cache atomically: to a temporary file in the same folder, flushed, then renamed over `file`.
 * The write time stored is taken before writing, so any file changed after it counts as racy next time.
 */
export function saveStatCache(cache: StatCache, file: string): void {
  const writtenAtNs = currentTimeNs(dirname(file));
  const text = cache.serialize(writtenAtNs);
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const descriptor = openSync(temporary, 'wx', 0o644);
  try {
    writeSync(descriptor, text);
    fsyncSync(descriptor);
  } catch (error) {
    closeSync(descriptor);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(descriptor);
  try {
    renameSync(temporary, file);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}

/**
 * Returns the later of the wall clock and the folder's ctime, in ns. File times come from the kernel's
 * clock, which may run slightly ahead of `Date.now()` at millisecond resolution.
 */
function currentTimeNs(folder: string): bigint {
  const wallClock = BigInt(Date.now()) * 1_000_000n;
  try {
    const folderCtime = statSync(folder, { bigint: true }).ctimeNs;
    return folderCtime > wallClock ? folderCtime : wallClock;
  } catch {
    return wallClock;
  }
}

export function statKeyOf(stats: BigIntStats): StatKey {
  return { size: stats.size, mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs, ino: stats.ino };
}

function sameStat(a: StatKey, b: StatKey): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
