import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, type BigIntStats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { sha256Hex } from './digest.js';

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
  return isOlderThanWindow(key.mtimeNs, writtenAtNs) && isOlderThanWindow(key.ctimeNs, writtenAtNs);
}

/** Reports whether a file time is older than the racy window before `referenceNs`. */
export function isOlderThanWindow(timeNs: bigint, referenceNs: bigint): boolean {
  return timeNs < referenceNs - RACY_WINDOW_NS;
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
 * Writes a state file atomically: to a temporary file in the same folder, then renamed over `file`, so a
 * reader sees the old file or the whole new one. The data is not flushed, so a crash can leave a damaged
 * file, which the checksum in each state file's header catches. Only the owner may read it, because the
 * graph cache contains build args from the config.
 */
export function writeFileAtomically(file: string, data: string | Uint8Array): void {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const descriptor = openSync(temporary, 'wx', 0o600);
  try {
    // Unlike one writeSync call, writeFileSync on a descriptor loops until every byte is written.
    writeFileSync(descriptor, data);
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

/** The format named in a state file's header: the kind of file (for messages), its magic word and its version. */
export interface StateFileFormat {
  readonly kind: string;
  readonly magic: string;
  readonly version: number;
}

/** A state file's body after its header checked out, or the reason it was rejected. */
export type DecodedStateFile = { readonly body: Buffer; readonly rejection?: undefined } | { readonly body?: undefined; readonly rejection: string };

/**
 * Encodes a state file: one header line `<magic> <version> <sha256 hex of the body>`, then the body. The
 * checksum lets a reader reject a file that a crash or another program left truncated or damaged.
 */
export function encodeStateFile(format: StateFileFormat, body: string | Uint8Array): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([Buffer.from(`${format.magic} ${format.version} ${sha256Hex(bytes)}\n`), bytes]);
}

/** Checks the header of `encodeStateFile` output and returns the body, or the reason the file is rejected. */
export function decodeStateFile(format: StateFileFormat, data: Buffer): DecodedStateFile {
  const newline = data.indexOf(0x0a);
  if (newline < 0) {
    return { rejection: 'missing header line' };
  }

  const header = data.subarray(0, newline).toString('latin1').split(' ');
  const body = data.subarray(newline + 1);
  if (header.length !== 3 || header[0] !== format.magic) {
    return { rejection: `not an imagesum ${format.kind}` };
  }
  if (header[1] !== String(format.version)) {
    return { rejection: `unsupported version ${header[1] ?? ''}` };
  }
  if (header[2] !== sha256Hex(body)) {
    return { rejection: 'checksum mismatch (truncated or damaged)' };
  }
  return { body };
}

/**
 * Reads and checks a state file. A missing file gives `undefined`, and an unreadable one a rejection, so
 * that the caller starts without it.
 */
export function readStateFile(format: StateFileFormat, file: string): DecodedStateFile | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    return { rejection: `unreadable: ${error instanceof Error ? error.message : String(error)}` };
  }
  return decodeStateFile(format, data);
}
