import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import type { ContextRead } from '../../src/dockerfile/types.js';

/** A tree spec: a path ending in `/` is a folder, `->` makes a symlink, anything else a file with that text. */
export type TreeSpec = Readonly<Record<string, string>>;

export function makeTree(spec: TreeSpec): string {
  const root = mkdtempSync(join(tmpdir(), 'imagesum-context-'));
  writeTree(root, spec);
  return root;
}

export function writeTree(root: string, spec: TreeSpec): void {
  for (const [path, content] of Object.entries(spec)) {
    const absolute = join(root, path);
    if (path.endsWith('/')) {
      mkdirSync(absolute, { recursive: true });
      continue;
    }
    mkdirSync(dirname(absolute), { recursive: true });
    if (content.startsWith('->')) {
      symlinkSync(content.slice(2), absolute);
    } else {
      writeFileSync(absolute, content);
      chmodSync(absolute, 0o644);
    }
  }
}

export function removeTree(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

export function copyRead(sources: string[], extra: Partial<ContextRead> = {}): ContextRead {
  return {
    instruction: 'COPY',
    sources,
    excludes: [],
    parents: false,
    wholeContext: false,
    location: { file: 'Dockerfile', line: 3 },
    ...extra,
  };
}
