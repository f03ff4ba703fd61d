import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { ImagesumError } from '../../src/errors.js';
import { createFileHasher, openBuildContext } from '../../src/context/index.js';
import { cleanIgnoreLine } from '../../src/context/ignorefile.js';
import { copyRead, makeTree, removeTree } from './helpers.js';

const TREE = {
  'Dockerfile': 'FROM scratch\n',
  'a.txt': 'a',
  'b.log': 'b',
  'dir/keep': 'k',
  'dir/other': 'o',
  'dir/sub/keep': 'sk',
  'docs/readme.md': 'r',
  'docs/temp1': 't',
  'src/app/temp.c': 'c',
  'src/x.go': 'x',
  'Upper.txt': 'u',
};

/** Ignore file text and the file paths that remain in the context. */
const CASES: Array<{ name: string; ignore: string; files: string[] }> = [
  {
    name: 'no patterns',
    ignore: '',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'dir/keep', 'dir/other', 'dir/sub/keep', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'star extension',
    ignore: '*.log\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'dir/keep', 'dir/other', 'dir/sub/keep', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'case sensitive',
    ignore: 'upper.txt\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'dir/keep', 'dir/other', 'dir/sub/keep', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'leading slash and trailing slash',
    ignore: '/docs/\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'dir/keep', 'dir/other', 'dir/sub/keep', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'one level wildcard',
    ignore: '*/temp*\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'dir/keep', 'dir/other', 'dir/sub/keep', 'docs/readme.md', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'double star',
    ignore: '**/temp*\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'dir/keep', 'dir/other', 'dir/sub/keep', 'docs/readme.md', 'src/x.go'],
  },
  {
    name: 'comments blanks and spaces',
    ignore: '# a.txt\n\n   \n  b.log  \n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'dir/keep', 'dir/other', 'dir/sub/keep', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'BOM and CRLF',
    ignore: '\uFEFFa.txt\r\nb.log\r\n',
    files: ['Dockerfile', 'Upper.txt', 'dir/keep', 'dir/other', 'dir/sub/keep', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'exclude all then re-include',
    ignore: '*\n!src\n',
    files: ['src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'later pattern wins',
    ignore: '!a.txt\n*.txt\n',
    files: ['Dockerfile', 'b.log', 'dir/keep', 'dir/other', 'dir/sub/keep', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'escaped star',
    ignore: 'a\\*\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'dir/keep', 'dir/other', 'dir/sub/keep', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'dot dot cleaned',
    ignore: 'src/app/../x.go\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'dir/keep', 'dir/other', 'dir/sub/keep', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c'],
  },
  // The three folder pruning cases measured with dockerd 20.10.
  {
    name: 'pruning drops re-include under double star',
    ignore: 'dir\n!**/keep\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'pruning keeps only first level',
    ignore: 'dir\n!dir/**/keep\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'dir/keep', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'pruning ignores wildcard prefix',
    ignore: 'dir\n!d*/keep\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
  {
    name: 'pruning literal re-include',
    ignore: 'dir\n!dir/sub/keep\n',
    files: ['Dockerfile', 'Upper.txt', 'a.txt', 'b.log', 'dir/sub/keep', 'docs/readme.md', 'docs/temp1', 'src/app/temp.c', 'src/x.go'],
  },
];

function contextFiles(ignoreText: string): string[] {
  const root = makeTree(TREE);
  try {
    writeFileSync(join(root, '.dockerignore'), ignoreText);
    const context = openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'classic', hasher: createFileHasher() });
    return context
      .select(copyRead([], { wholeContext: true }))
      .filter((entry) => entry.type === 'file' && entry.path !== '.dockerignore')
      .map((entry) => entry.path);
  } finally {
    removeTree(root);
  }
}

for (const testCase of CASES) {
  test(`dockerignore ${testCase.name}`, () => {
    assert.deepEqual(contextFiles(testCase.ignore), testCase.files);
  });
}

test('ignore line cleaning', () => {
  assert.equal(cleanIgnoreLine('  /a/b/ '), 'a/b');
  assert.equal(cleanIgnoreLine('! /x/../y'), '!y');
  assert.equal(cleanIgnoreLine('/'), '/');
  assert.equal(cleanIgnoreLine('   '), undefined);
});

test('invalid pattern reports file and line', () => {
  const root = makeTree({ 'a.txt': 'a' });
  try {
    const ignoreFile = join(root, '.dockerignore');
    writeFileSync(ignoreFile, '# comment\na.txt\nsrc/[a-\n');
    assert.throws(
      () => openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'classic', hasher: createFileHasher() }),
      (error: unknown) => {
        assert.ok(error instanceof ImagesumError);
        assert.equal(error.kind, 'dockerignore');
        assert.deepEqual(error.location, { file: ignoreFile, line: 3 });
        return true;
      },
    );
  } finally {
    removeTree(root);
  }
});

test('lone exclamation mark is invalid', () => {
  const root = makeTree({ 'a.txt': 'a', '.dockerignore': 'a.txt\n!\n' });
  try {
    assert.throws(
      () => openBuildContext({ dir: root, dockerfile: join(root, 'Dockerfile'), builder: 'classic', hasher: createFileHasher() }),
      (error: unknown) => error instanceof ImagesumError && error.kind === 'dockerignore' && error.location?.line === 2,
    );
  } finally {
    removeTree(root);
  }
});

test('buildkit prefers dockerfile ignore file', () => {
  const root = makeTree({
    'a.txt': 'a',
    'b.txt': 'b',
    '.dockerignore': 'a.txt\n',
    'build/app.Dockerfile': 'FROM scratch\n',
    'build/app.Dockerfile.dockerignore': 'b.txt\n',
  });
  try {
    const dockerfile = join(root, 'build/app.Dockerfile');
    const files = (builder: 'buildkit' | 'classic'): string[] => {
      const context = openBuildContext({ dir: root, dockerfile, builder, hasher: createFileHasher() });
      return context.select(copyRead(['*.txt'])).map((entry) => entry.path);
    };
    const buildkit = openBuildContext({ dir: root, dockerfile, builder: 'buildkit', hasher: createFileHasher() });
    const classic = openBuildContext({ dir: root, dockerfile, builder: 'classic', hasher: createFileHasher() });

    assert.equal(buildkit.ignoreFile, join(root, 'build/app.Dockerfile.dockerignore'));
    assert.equal(classic.ignoreFile, join(root, '.dockerignore'));
    assert.deepEqual(files('buildkit'), ['a.txt']);
    assert.deepEqual(files('classic'), ['b.txt']);
  } finally {
    removeTree(root);
  }
});
