import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { fileDigestOf } from '../../src/digest.js';
import type { ContextRead } from '../../src/dockerfile/types.js';
import { ImagesumError } from '../../src/errors.js';
import { createFileHasher, openBuildContext } from '../../src/context/index.js';
import { copyRead, makeTree, removeTree, writeTree } from './helpers.js';

const TREE = {
  'Dockerfile': 'FROM scratch\n',
  'a.txt': 'a',
  'b.txt': 'b',
  'c.md': 'c',
  'dir/x.txt': 'x',
  'dir/sub/y.txt': 'y',
  'dir/sub/z.md': 'z',
  'other/q.txt': 'q',
  'link-file': '->a.txt',
  'link-dir': '->dir',
  'dir/inner-link': '->x.txt',
};

/** Sources, flags and the exact selected paths. */
const CASES: Array<{ name: string; sources: string[]; extra?: Partial<ContextRead>; paths: string[] }> = [
  { name: 'single file', sources: ['a.txt'], paths: ['a.txt'] },
  { name: 'dot slash and leading slash', sources: ['./a.txt', '/b.txt'], paths: ['a.txt', 'b.txt'] },
  { name: 'star wildcard', sources: ['*.txt'], paths: ['a.txt', 'b.txt'] },
  { name: 'question mark', sources: ['?.md'], paths: ['c.md'] },
  { name: 'character class', sources: ['[ab].txt'], paths: ['a.txt', 'b.txt'] },
  { name: 'negated class', sources: ['[^a].txt'], paths: ['b.txt'] },
  { name: 'star stays in one segment', sources: ['*/*.txt'], paths: ['dir/x.txt', 'other/q.txt'] },
  { name: 'wildcard matching a folder', sources: ['d*'], paths: ['dir', 'dir/inner-link', 'dir/sub', 'dir/sub/y.txt', 'dir/sub/z.md', 'dir/x.txt'] },
  { name: 'folder copies contents', sources: ['dir/sub'], paths: ['dir/sub', 'dir/sub/y.txt', 'dir/sub/z.md'] },
  { name: 'empty wildcard match', sources: ['*.none'], paths: [] },
  { name: 'duplicates removed', sources: ['a.txt', '*.txt', 'a.txt'], paths: ['a.txt', 'b.txt'] },
  {
    name: 'whole context by dot',
    sources: ['.'],
    paths: ['Dockerfile', 'a.txt', 'b.txt', 'c.md', 'dir', 'dir/inner-link', 'dir/sub', 'dir/sub/y.txt', 'dir/sub/z.md', 'dir/x.txt', 'link-dir', 'link-file', 'other', 'other/q.txt'],
  },
  { name: 'dot slash is whole context', sources: ['./'], paths: ['Dockerfile', 'a.txt', 'b.txt', 'c.md', 'dir', 'dir/inner-link', 'dir/sub', 'dir/sub/y.txt', 'dir/sub/z.md', 'dir/x.txt', 'link-dir', 'link-file', 'other', 'other/q.txt'] },
  { name: 'symlink source followed', sources: ['link-dir'], paths: ['link-dir', 'link-dir/inner-link', 'link-dir/sub', 'link-dir/sub/y.txt', 'link-dir/sub/z.md', 'link-dir/x.txt'] },
  { name: 'path through symlink', sources: ['link-dir/x.txt'], paths: ['link-dir/x.txt'] },
  { name: 'exclude below folder', sources: ['dir'], extra: { excludes: ['*.md', 'sub/*.md'] }, paths: ['dir', 'dir/inner-link', 'dir/sub', 'dir/sub/y.txt', 'dir/x.txt'] },
  { name: 'exclude with double star', sources: ['.'], extra: { excludes: ['**/*.txt', 'Dockerfile', 'link-*'] }, paths: ['c.md', 'dir', 'dir/inner-link', 'dir/sub', 'dir/sub/z.md', 'other'] },
  { name: 'exclude folder then re-include', sources: ['dir'], extra: { excludes: ['sub', '!sub/y.txt'] }, paths: ['dir', 'dir/inner-link', 'dir/sub', 'dir/sub/y.txt', 'dir/x.txt'] },
  { name: 'parents keeps folders', sources: ['dir/sub/*.txt'], extra: { parents: true }, paths: ['dir', 'dir/sub', 'dir/sub/y.txt'] },
  { name: 'parents with pivot', sources: ['dir/./sub/y.txt'], extra: { parents: true }, paths: ['dir', 'dir/sub', 'dir/sub/y.txt'] },
  { name: 'parents with double star', sources: ['**/*.md'], extra: { parents: true }, paths: ['c.md', 'dir', 'dir/sub', 'dir/sub/z.md'] },
  { name: 'run mount source', sources: ['dir/sub'], extra: { instruction: 'RUN --mount' }, paths: ['dir/sub', 'dir/sub/y.txt', 'dir/sub/z.md'] },
];

test('copy selection cases', async (t) => {
  const root = makeTree(TREE);
  try {
    const context = openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'buildkit', hasher: createFileHasher() });
    for (const testCase of CASES) {
      await t.test(testCase.name, () => {
        const paths = context.select(copyRead(testCase.sources, testCase.extra)).map((entry) => entry.path);
        assert.deepEqual(paths, testCase.paths);
      });
    }
  } finally {
    removeTree(root);
  }
});

test('entry records mode digest and target', () => {
  const root = makeTree(TREE);
  try {
    chmodSync(join(root, 'b.txt'), 0o755);
    const context = openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'buildkit', hasher: createFileHasher() });
    const entries = context.select(copyRead(['b.txt', 'link-file', 'dir']));
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));

    assert.deepEqual(byPath.get('b.txt'), { path: 'b.txt', type: 'file', mode: 0o755, digest: fileDigestOf('b') });
    assert.deepEqual(byPath.get('link-file'), { path: 'link-file', type: 'file', mode: 0o644, digest: fileDigestOf('a') });
    assert.deepEqual(byPath.get('dir/inner-link'), { path: 'dir/inner-link', type: 'symlink', target: 'x.txt' });
    assert.equal(byPath.get('dir')?.type, 'directory');
  } finally {
    removeTree(root);
  }
});

test('new wildcard match changes selection', () => {
  const root = makeTree(TREE);
  try {
    const read = copyRead(['*.txt']);
    const before = openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'buildkit', hasher: createFileHasher() }).select(read);
    writeFileSync(join(root, 'new.txt'), '');
    const after = openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'buildkit', hasher: createFileHasher() }).select(read);

    assert.deepEqual(before.map((entry) => entry.path), ['a.txt', 'b.txt']);
    assert.deepEqual(after.map((entry) => entry.path), ['a.txt', 'b.txt', 'new.txt']);
  } finally {
    removeTree(root);
  }
});

test('entries sorted by code unit', () => {
  const root = makeTree({ 'B.txt': '', 'a.txt': '', 'é.txt': '', '_.txt': '' });
  try {
    const context = openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'buildkit', hasher: createFileHasher() });
    assert.deepEqual(context.select(copyRead(['*'])).map((entry) => entry.path), ['B.txt', '_.txt', 'a.txt', 'é.txt']);
  } finally {
    removeTree(root);
  }
});

function assertContextError(run: () => unknown, fragment: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ImagesumError);
    assert.equal(error.kind, 'context');
    assert.deepEqual(error.location, { file: 'Dockerfile', line: 3 });
    assert.match(error.message, new RegExp(fragment));
    return true;
  });
}

test('source errors', () => {
  const root = makeTree(TREE);
  try {
    writeTree(root, { 'escape': '->../outside', 'broken': '->missing', '.dockerignore': 'c.md\n' });
    const context = openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'buildkit', hasher: createFileHasher() });

    assertContextError(() => context.select(copyRead(['missing.txt'])), 'not found');
    assertContextError(() => context.select(copyRead(['c.md'])), 'not found');
    assertContextError(() => context.select(copyRead(['../x'])), 'outside the build context');
    assertContextError(() => context.select(copyRead(['escape'])), 'outside the build context');
    assertContextError(() => context.select(copyRead(['broke*'])), 'not found');
    assertContextError(() => context.select(copyRead(['nodir/*.txt'])), 'not found');
  } finally {
    removeTree(root);
  }
});

test('walk shared and files hashed once', () => {
  const root = makeTree(TREE);
  try {
    const hasher = createFileHasher();
    const first = openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'buildkit', hasher });
    first.select(copyRead(['*.txt']));
    writeFileSync(join(root, 'late.txt'), 'late');
    const second = openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'buildkit', hasher });

    assert.deepEqual(second.select(copyRead(['*.txt'])).map((entry) => entry.path), ['a.txt', 'b.txt']);
    assert.equal(hasher.hashedCount, 2);
  } finally {
    removeTree(root);
  }
});
