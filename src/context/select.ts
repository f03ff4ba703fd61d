import { compareCodeUnits } from '../digest.js';
import type { ContextRead } from '../dockerfile/types.js';
import { ImagesumError } from '../errors.js';
import { BadPatternError, cleanPath, containsWildcards, matchPath } from './gopath.js';
import type { FileHasher } from './hasher.js';
import { PatternList } from './patterns.js';
import { childPath, type ContextSnapshot, type SnapshotNode } from './snapshot.js';
import type { ContextEntry } from './types.js';

/** Linux gives up after 40 links in one lookup; Go's `fs.RootPath` allows 255. */
const MAX_LINK_HOPS = 255;

/**
 * Returns the entries one context read copies, sorted by path and without duplicates, following BuildKit's
 * COPY (dockerfile frontend 1.7 with fsutil copy): wildcards per `filepath.Match`, a folder copies its
 * contents, the source symlink is followed, `--exclude` and the `--parents` pattern apply below each source.
 */
export function selectEntries(snapshot: ContextSnapshot, hasher: FileHasher, read: ContextRead): ContextEntry[] {
  const selection = new Selection(snapshot, hasher, read);
  if (read.wholeContext) {
    selection.addWholeContext();
  } else {
    for (const source of read.sources) {
      selection.addSource(source);
    }
  }
  return selection.sorted();
}

class Selection {
  private readonly entries = new Map<string, ContextEntry>();
  private readonly excludes: PatternList | undefined;

  constructor(
    private readonly snapshot: ContextSnapshot,
    private readonly hasher: FileHasher,
    private readonly read: ContextRead,
  ) {
    this.excludes = read.excludes.length === 0 ? undefined : this.patternList(read.excludes, '--exclude');
  }

  sorted(): ContextEntry[] {
    return [...this.entries.values()].sort((a, b) => compareCodeUnits(a.path, b.path));
  }

  addWholeContext(): void {
    for (const node of this.snapshot.all()) {
      this.addNode(node.path, node);
    }
  }

  addSource(source: string): void {
    const written = cleanPath(source);
    if (written === '..' || written.startsWith('../')) {
      this.fail(`source ${JSON.stringify(source)} is outside the build context; copy only paths inside the context`);
    }
    // BuildKit joins the source onto `/`, so `/a`, `./a` and `a` name the same path.
    const cleaned = cleanPath(`/${source}`).slice(1);

    if (this.read.instruction === 'RUN --mount') {
      this.copyMatch(cleaned, source, undefined);
      return;
    }
    if (this.read.parents) {
      this.addWithParents(source);
      return;
    }
    for (const match of this.resolveWildcards(cleaned, source)) {
      this.copyMatch(match, source, undefined);
    }
  }

  /**
   * `COPY --parents a/./b/c` copies `b/c` below `a`, keeping `b`. Without `/./` the pivot is the context
   * root. The part after the pivot is an include pattern in patternmatcher syntax, so `**` works there.
   */
  private addWithParents(source: string): void {
    const pivot = source.indexOf('/./');
    const parent = pivot < 0 ? '/' : source.slice(0, pivot);
    const pattern = cleanPath(`/${pivot < 0 ? source : source.slice(pivot + 3)}`).slice(1);
    const include = this.patternList([pattern], '--parents source');
    const cleanedParent = cleanPath(`/${parent}`).slice(1);

    for (const match of this.resolveWildcards(cleanedParent, source)) {
      this.copyMatch(match, source, include);
    }
  }

  /**
   * Expands wildcards as fsutil's `ResolveWildcards`: the segments before the first wildcard name a folder
   * (symlinks followed), and every path below it that matches the rest is a match, without descending into
   * a matched folder. Returns the cleaned source itself when it contains no wildcard.
   */
  private resolveWildcards(cleaned: string, written: string): string[] {
    const segments = cleaned === '' ? [] : cleaned.split('/');
    const firstWildcard = segments.findIndex(containsWildcards);
    if (firstWildcard < 0) {
      return [cleaned];
    }

    const baseText = segments.slice(0, firstWildcard).join('/');
    const rest = segments.slice(firstWildcard).join('/');
    const base = this.resolve(baseText, written);
    if (base === undefined) {
      this.fail(`source ${JSON.stringify(written)}: folder ${JSON.stringify(baseText)} not found in the build context; create it or fix the path`);
    }
    if (base.kind !== 'directory') {
      return [];
    }

    const matches: string[] = [];
    const visit = (folder: SnapshotNode): void => {
      for (const name of folder.children ?? []) {
        const path = childPath(folder.path, name);
        const node = this.snapshot.get(path);
        if (node === undefined) {
          continue;
        }
        const relative = base.path === '' ? path : path.slice(base.path.length + 1);
        if (matchesWildcard(rest, relative)) {
          matches.push(path);
        } else if (node.kind === 'directory') {
          visit(node);
        }
      }
    };
    visit(base);
    return matches;
  }

  /** Adds one matched source: followed to its content, then a file or a folder's whole tree. */
  private copyMatch(match: string, written: string, include: PatternList | undefined): void {
    const node = this.resolve(match, written);
    if (node === undefined) {
      const subject = match === cleanPath(`/${written}`).slice(1) ? `source ${JSON.stringify(written)}` : `${JSON.stringify(match)} (matched by ${JSON.stringify(written)})`;
      this.fail(`${subject} not found in the build context; check the path and the ignore file`);
    }

    if (node.kind !== 'directory') {
      this.addNode(match, node);
      return;
    }
    // The copy never applies the source folder's own mode, but counting it only risks a needless rebuild.
    if (match !== '') {
      this.addNode(match, node);
    }
    this.copyFolder(node, match, '', { include, includeResults: undefined, excludeResults: undefined });
  }

  /**
   * Adds a folder's tree below `entryPath`, applying the include and exclude patterns to paths relative
   * to the copied source. As in fsutil's copy, an excluded folder is still walked, and it counts when
   * something below it is copied because the copy then creates it with its mode. Returns whether
   * anything was added.
   */
  private copyFolder(node: SnapshotNode, entryPath: string, relative: string, filters: FolderFilters): boolean {
    let added = false;
    for (const name of node.children ?? []) {
      const child = this.snapshot.get(childPath(node.path, name));
      if (child === undefined) {
        continue;
      }
      const childRelative = relative === '' ? name : `${relative}/${name}`;
      const childEntryPath = entryPath === '' ? name : `${entryPath}/${name}`;

      let included = true;
      const childFilters: FolderFilters = { include: filters.include, includeResults: undefined, excludeResults: undefined };
      if (filters.include !== undefined) {
        const result = filters.include.match(childRelative, filters.includeResults);
        included = result.matched;
        childFilters.includeResults = result.results;
      }
      if (this.excludes !== undefined) {
        const result = this.excludes.match(childRelative, filters.excludeResults);
        if (result.matched) {
          included = false;
        }
        childFilters.excludeResults = result.results;
      }

      if (child.kind === 'directory') {
        const below = this.copyFolder(child, childEntryPath, childRelative, childFilters);
        if (included || below) {
          this.addNode(childEntryPath, child);
          added = true;
        }
      } else if (included) {
        this.addNode(childEntryPath, child);
        added = true;
      }
    }
    return added;
  }

  private addNode(entryPath: string, node: SnapshotNode): void {
    if (this.entries.has(entryPath)) {
      return;
    }
    switch (node.kind) {
      case 'file':
        this.entries.set(entryPath, { path: entryPath, type: 'file', mode: node.mode, digest: this.hasher.hashFile(node.absolute, node.stat) });
        return;
      case 'directory':
        this.entries.set(entryPath, { path: entryPath, type: 'directory', mode: node.mode });
        return;
      case 'symlink':
        this.entries.set(entryPath, { path: entryPath, type: 'symlink', target: node.target ?? '' });
        return;
      case 'other':
        this.fail(`${JSON.stringify(node.path)} is a FIFO, socket or device, which imagesum cannot checksum; add it to the ignore file`);
    }
  }

  /**
   * Follows symlinks in every segment as BuildKit's `fs.RootPath` does inside the sent context: an absolute
   * link target starts again at the context root. Unlike BuildKit, which clamps `..` at the root, a path
   * that climbs above the root is rejected. Returns `undefined` when a segment does not exist.
   */
  private resolve(path: string, written: string): SnapshotNode | undefined {
    const pending = path === '' ? [] : path.split('/');
    let current = '';
    let hops = 0;

    while (pending.length > 0) {
      const segment = pending.shift() as string;
      if (segment === '' || segment === '.') {
        continue;
      }
      if (segment === '..') {
        if (current === '') {
          this.fail(`source ${JSON.stringify(written)} resolves outside the build context through a symlink; point the link inside the context`);
        }
        current = current.includes('/') ? current.slice(0, current.lastIndexOf('/')) : '';
        continue;
      }

      const next = childPath(current, segment);
      const node = this.snapshot.get(next);
      if (node === undefined) {
        return undefined;
      }
      if (node.kind === 'symlink') {
        hops++;
        if (hops > MAX_LINK_HOPS) {
          this.fail(`source ${JSON.stringify(written)} has more than ${MAX_LINK_HOPS} symlinks in a chain or a loop; fix the links`);
        }
        const target = node.target ?? '';
        if (target.startsWith('/')) {
          current = '';
        }
        pending.unshift(...target.split('/'));
        continue;
      }
      if (node.kind !== 'directory' && pending.some((rest) => rest !== '' && rest !== '.')) {
        return undefined;
      }
      current = next;
    }

    return this.snapshot.get(current);
  }

  private patternList(patterns: readonly string[], option: string): PatternList {
    try {
      return new PatternList(patterns);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return this.fail(`invalid ${option} pattern in ${JSON.stringify(patterns)}: ${reason}; fix the pattern`);
    }
  }

  private fail(message: string): never {
    throw new ImagesumError('context', message, this.read.location);
  }
}

/** Include and exclude state while walking one copied folder; results are per pattern for the parent. */
interface FolderFilters {
  include: PatternList | undefined;
  includeResults: boolean[] | undefined;
  excludeResults: boolean[] | undefined;
}

/** Go's `filepath.Match`, whose syntax errors fsutil ignores: a malformed pattern matches nothing. */
function matchesWildcard(pattern: string, path: string): boolean {
  try {
    return matchPath(pattern, path);
  } catch (error) {
    if (error instanceof BadPatternError) {
      return false;
    }
    throw error;
  }
}
