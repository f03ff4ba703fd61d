import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';

import { sha256Hex } from '../digest.js';
import { ImagesumError } from '../errors.js';
import type { IgnoreMatcher } from './ignorefile.js';
import { statKeyOf, statKeyText, type StatKey } from '../state-files.js';

/** One path of the context that survives the ignore file, as the engine would send it. */
export interface SnapshotNode {
  /** Relative to the context root with `/` separators; `''` for the root. */
  readonly path: string;
  readonly absolute: string;
  /** `other` is a FIFO, socket or device, which imagesum cannot checksum. */
  readonly kind: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits: `mode & 0o7777`. */
  readonly mode: number;
  /** Link text, for a symlink. */
  readonly target?: string;
  /** Child names in byte order, for a folder. */
  readonly children?: readonly string[];
  /** The walk's `lstat` of a regular file, which the hasher reuses instead of calling `stat` again. */
  readonly stat?: StatKey;
}

/** The context after the ignore file: every surviving path, read once and shared by all selections. */
export class ContextSnapshot {
  /**
   * SHA-256 of every path with its kind, mode, and link target or stat key. Selections read nothing else,
   * so an equal digest means equal selections, and equal file contents for files older than the racy window.
   */
  readonly digest: string;
  /** Latest mtime or ctime of a regular file in the snapshot, in ns, for the racy check of caches keyed on `digest`. */
  readonly newestFileChangeNs: bigint;

  private readonly nodes = new Map<string, SnapshotNode>();
  /** Four fields per path, in walk order, which `digest` hashes. */
  private listing = '';
  private newestChangeNs = 0n;

  constructor(
    readonly root: string,
    ignore: IgnoreMatcher,
  ) {
    const stats = lstatOrRaise(root);
    if (!stats.isDirectory()) {
      throw new ImagesumError('context', `build context ${root} is not a folder; pass a folder as the context`);
    }
    this.walk('', root, stats, ignore);
    this.digest = sha256Hex(this.listing);
    this.newestFileChangeNs = this.newestChangeNs;
    this.listing = '';
  }

  get(path: string): SnapshotNode | undefined {
    return this.nodes.get(path);
  }

  /** Returns every path except the root, in walk order. */
  all(): IterableIterator<SnapshotNode> {
    const iterator = this.nodes.values();
    iterator.next();
    return iterator;
  }

  /** Returns the node and every node below it, in walk order, without following symlinks. */
  *subtree(node: SnapshotNode): Generator<SnapshotNode> {
    yield node;
    for (const name of node.children ?? []) {
      const child = this.nodes.get(childPath(node.path, name));
      if (child !== undefined) {
        yield* this.subtree(child);
      }
    }
  }

  /** Walks a folder whose `lstat` the caller took, so each path is stat'ed once. */
  private walk(path: string, absolute: string, stats: BigIntStats, ignore: IgnoreMatcher): void {
    const names = sortAsBytes(readFolder(absolute));
    const kept: string[] = [];
    const node: SnapshotNode = { path, absolute, kind: 'directory', mode: Number(stats.mode) & 0o7777, children: kept };
    this.add(node);

    for (const name of names) {
      const entryPath = childPath(path, name);
      const entryAbsolute = joinName(absolute, name);
      const entryStats = lstatOrRaise(entryAbsolute);
      const isFolder = entryStats.isDirectory();

      if (!ignore.isEmpty && ignore.excludes(entryPath)) {
        if (!isFolder || !ignore.entersExcludedFolder(entryPath)) {
          continue;
        }
      }

      kept.push(name);
      if (isFolder) {
        this.walk(entryPath, entryAbsolute, entryStats, ignore);
      } else {
        this.add(leafNode(entryPath, entryAbsolute, entryStats));
      }
    }
  }

  private add(node: SnapshotNode): void {
    this.nodes.set(node.path, node);
    // Paths and link targets cannot contain NUL, so NUL-separated fields cannot run into each other.
    let detail = '';
    if (node.stat !== undefined) {
      detail = statKeyText(node.stat);
    } else if (node.target !== undefined) {
      detail = node.target;
    }
    this.listing += `${node.path}\0${node.kind}\0${node.mode}\0${detail}\0`;
    if (node.stat !== undefined) {
      const changed = node.stat.mtimeNs > node.stat.ctimeNs ? node.stat.mtimeNs : node.stat.ctimeNs;
      if (changed > this.newestChangeNs) {
        this.newestChangeNs = changed;
      }
    }
  }
}

/** Joins a folder entry's name to the folder's resolved path, which `join` would only normalise again. */
function joinName(folder: string, name: string): string {
  return folder.endsWith('/') ? `${folder}${name}` : `${folder}/${name}`;
}

export function childPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

function leafNode(path: string, absolute: string, stats: BigIntStats): SnapshotNode {
  const mode = Number(stats.mode) & 0o7777;
  if (stats.isSymbolicLink()) {
    return { path, absolute, kind: 'symlink', mode, target: readlinkSync(absolute) };
  }
  if (stats.isFile()) {
    return { path, absolute, kind: 'file', mode, stat: statKeyOf(stats) };
  }
  return { path, absolute, kind: 'other', mode };
}

/** Reads times in nanoseconds, because the stat cache keys on them. */
function lstatOrRaise(absolute: string): BigIntStats {
  try {
    return lstatSync(absolute, { bigint: true });
  } catch (error) {
    throw new ImagesumError('context', `cannot read ${absolute} in the build context: ${reasonOf(error)}; check that it exists and is readable`);
  }
}

function readFolder(absolute: string): string[] {
  let names: string[];
  try {
    names = readdirSync(absolute);
  } catch (error) {
    throw new ImagesumError('context', `cannot list folder ${absolute} in the build context: ${reasonOf(error)}; check its permissions`);
  }
  if (names.some((name) => name.includes('\uFFFD'))) {
    rejectInvalidNames(absolute);
  }
  return names;
}

/**
 * Raises for a name that is not valid UTF-8. Node decodes such a name with U+FFFD in place of the bad bytes,
 * so two different files could get the same name, and changes to one would go unnoticed.
 */
function rejectInvalidNames(absolute: string): void {
  for (const name of readdirSync(absolute, { encoding: 'buffer' })) {
    if (!Buffer.from(name.toString('utf8')).equals(name)) {
      const latin1Name = JSON.stringify(name.toString('latin1'));
      throw new ImagesumError('context', `folder ${absolute} in the build context has the file name ${latin1Name}, which is not valid UTF-8; rename it`);
    }
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Orders names as Go sorts strings: by UTF-8 bytes. That is the order of UTF-16 code units, which the
 * default sort uses, unless a name has a character from U+D800 up, where the two orders can differ.
 */
function sortAsBytes(names: string[]): string[] {
  return names.some((name) => /[\uD800-\uFFFF]/.test(name)) ? names.sort(compareBytes) : names.sort();
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
