import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A temporary folder built from a map of relative paths to file contents. A value `{ link }` makes a
 * symlink and `{ content, mode }` sets permission bits. Call `remove()` when done.
 */
export type TreeEntry = string | { readonly content: string; readonly mode: number } | { readonly link: string };

export interface TempTree {
  readonly root: string;
  write(relative: string, entry: TreeEntry): void;
  remove(): void;
}

export function makeTree(files: Readonly<Record<string, TreeEntry>>): TempTree {
  const root = mkdtempSync(path.join(tmpdir(), 'imagesum-test-'));
  const write = (relative: string, entry: TreeEntry): void => {
    const file = path.join(root, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    if (typeof entry === 'string') {
      writeFileSync(file, entry);
    } else if ('link' in entry) {
      rmSync(file, { force: true });
      symlinkSync(entry.link, file);
    } else {
      writeFileSync(file, entry.content);
      chmodSync(file, entry.mode);
    }
  };

  for (const [relative, entry] of Object.entries(files)) {
    write(relative, entry);
  }
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}
