import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeFileSync, type BigIntStats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** File facts that must all be unchanged before something derived from the file is reused. Times are in nanoseconds. */
export interface StatKey {
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly ino: bigint;
}

/**
 * How much older than a cache's write time a file's mtime and ctime must be before anything derived from it is
 * saved. A file changed within this window of the write may keep the same timestamps after a further change (git
 * calls this a racy entry), so it is left out and read again next time. Two seconds covers filesystems that
 * store times in whole seconds, and FAT's two-second steps.
 */
export const RACY_WINDOW_NS = 2_000_000_000n;

export function statKeyOf(stats: BigIntStats): StatKey {
  return { size: stats.size, mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs, ino: stats.ino };
}

/** Formats a stat key as `size:mtimeNs:ctimeNs:ino`, which caches compare as text, so loading parses no numbers. */
export function statKeyText(key: StatKey): string {
  return `${key.size}:${key.mtimeNs}:${key.ctimeNs}:${key.ino}`;
}

/** Reports whether both of a file's times are older than the racy window before `writtenAtNs`. */
export function isSafelyOlder(key: StatKey, writtenAtNs: bigint): boolean {
  const trustedBeforeNs = writtenAtNs - RACY_WINDOW_NS;
  return key.mtimeNs < trustedBeforeNs && key.ctimeNs < trustedBeforeNs;
}

/**
 * Returns the later of the wall clock and the folder's ctime, in ns. File times come from the kernel's
 * clock, which may run slightly ahead of `Date.now()` at millisecond resolution.
 */
export function currentTimeNs(folder: string): bigint {
  const wallClock = BigInt(Date.now()) * 1_000_000n;
  try {
    const folderCtime = statSync(folder, { bigint: true }).ctimeNs;
    return folderCtime > wallClock ? folderCtime : wallClock;
  } catch {
    return wallClock;
  }
}

/**
 * Writes a file atomically: to a temporary file in the same folder, optionally flushed, then renamed over
 * `file`. A reader sees the old file or the whole new one. Without the flush, a crash can leave a damaged
 * file, which is fine only for a reader that checks a checksum.
 */
export function writeFileAtomically(file: string, data: string | Uint8Array, options: { readonly flush: boolean }): void {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const descriptor = openSync(temporary, 'wx', 0o644);
  try {
    // Unlike one writeSync call, writeFileSync on a descriptor loops until every byte is written.
    writeFileSync(descriptor, data);
    if (options.flush) {
      fsyncSync(descriptor);
    }
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
