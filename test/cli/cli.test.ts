import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { runCli } from '../support/cli.js';
import { engineSkipReason } from '../support/engine.js';
import { makeTree, type TreeEntry } from '../support/tree.js';

function inTree(files: Record<string, TreeEntry>, args: string[]) {
  const tree = makeTree(files);
  try {
    return { ...runCli(['-C', tree.root, ...args]), root: tree.root };
  } finally {
    tree.remove();
  }
}

const CONFIG = 'images:\n  - dockerfile: "{name}/Dockerfile"\n    name: t/{name}\n';

describe('cli', () => {
  it('prints the version', () => {
    const result = runCli(['--version']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('hash prints one line per image', () => {
    const result = inTree({ 'imagesum.yaml': CONFIG, 'a/Dockerfile': 'FROM scratch\n', 'b/Dockerfile': 'FROM t/a\n' }, ['hash']);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /^sha256:[0-9a-f]{64} {2}t\/a:latest$/);
    assert.match(lines[1] ?? '', /^sha256:[0-9a-f]{64} {2}t\/b:latest$/);
  });

  it('hash selects images by any spelling of the name', () => {
    const result = inTree({ 'imagesum.yaml': CONFIG, 'a/Dockerfile': 'FROM scratch\n', 'b/Dockerfile': 'FROM t/a\n' }, ['hash', 'docker.io/t/b']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^sha256:[0-9a-f]{64} {2}t\/b:latest\n$/);
  });

  it('hash --inputs prints the manifest', () => {
    const result = inTree({ 'imagesum.yaml': CONFIG, 'a/Dockerfile': 'FROM scratch\nCOPY f /f\n', 'a/f': 'x' }, ['hash', '--inputs']);
    assert.equal(result.status, 0, result.stderr);
    const [entry] = JSON.parse(result.stdout) as { name: string; manifest: { stages: { contextReads: { entries: { path: string }[] }[] }[] } }[];
    assert.equal(entry?.name, 't/a:latest');
    assert.deepEqual(entry?.manifest.stages[0]?.contextReads[0]?.entries.map((e) => e.path), ['f']);
  });

  it('graph prints dot and mermaid', () => {
    const files = { 'imagesum.yaml': CONFIG, 'a/Dockerfile': 'FROM busybox\n', 'b/Dockerfile': 'FROM t/a\n' };
    const dot = inTree(files, ['graph', '--format', 'dot']);
    assert.equal(dot.stdout, 'digraph imagesum {\n  rankdir=BT;\n  "t/a:latest";\n  "t/a:latest" -> "busybox";\n  "t/b:latest";\n  "t/b:latest" -> "t/a:latest";\n  "busybox" [style=dashed];\n}\n');
    const mermaid = inTree(files, ['graph', '--format', 'mermaid']);
    assert.equal(mermaid.stdout, 'graph BT\n  n0["t/a:latest"]\n  n0 -.-> n1["busybox"]\n  n2["t/b:latest"]\n  n2 --> n0\n');
  });

  const errorCases: { name: string; files: Record<string, TreeEntry>; args: string[]; status: number; stderr: RegExp }[] = [
    { name: 'unknown command', files: {}, args: ['hsah'], status: 2, stderr: /^imagesum: unknown command "hsah"; commands are graph, hash, status, build\n$/ },
    { name: 'unknown option', files: {}, args: ['hash', '--nope'], status: 2, stderr: /^imagesum: Unknown option '--nope'.*; run 'imagesum hash --help' for the options\n$/ },
    { name: 'bad format', files: {}, args: ['graph', '--format', 'svg'], status: 2, stderr: /^imagesum: invalid --format "svg"; use one of text, json, dot, mermaid\n$/ },
    {
      name: 'unknown image',
      files: { 'imagesum.yaml': CONFIG, 'a/Dockerfile': 'FROM scratch\n' },
      args: ['hash', 'nothing'],
      status: 2,
      stderr: /^imagesum: unknown image nothing; run 'imagesum graph' to list the images of this tree\n$/,
    },
    {
      name: 'Dockerfile error with location',
      files: { 'imagesum.yaml': CONFIG, 'a/Dockerfile': 'FROM scratch\nFROBNICATE x\n' },
      args: ['hash'],
      status: 2,
      stderr: /^imagesum: a\/Dockerfile:2: .*FROBNICATE.*\n$/,
    },
    {
      name: 'config error with location',
      files: { 'imagesum.yaml': 'images:\n  - dockerfile: x\n    nam: y\n' },
      args: ['graph'],
      status: 2,
      stderr: /^imagesum: imagesum.yaml:3: unknown key "nam" in images\[0\]/,
    },
    {
      name: 'missing COPY source',
      files: { 'imagesum.yaml': CONFIG, 'a/Dockerfile': 'FROM scratch\nCOPY missing.txt /x\n' },
      args: ['hash'],
      status: 2,
      stderr: /^imagesum: a\/Dockerfile:2: .*missing\.txt.*\n$/,
    },
  ];

  for (const testCase of errorCases) {
    it(`reports ${testCase.name} in one line`, () => {
      const result = inTree(testCase.files, testCase.args);
      assert.equal(result.status, testCase.status, result.stderr);
      assert.match(result.stderr, testCase.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('rejects file names that are not UTF-8', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'imagesum-test-'));
    try {
      writeFileSync(path.join(root, 'Dockerfile'), 'FROM scratch\nCOPY . /src\n');
      // Node would read both names as U+FFFD, so a change to one of them could go unnoticed.
      writeFileSync(Buffer.from(`${root}/\xff`, 'latin1'), 'one');
      writeFileSync(path.join(root, '\uFFFD'), 'two');
      const result = runCli(['-C', root, 'hash']);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /^imagesum: folder .* has the file name "\u00ff", which is not valid UTF-8; rename it\n$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('build reports a state folder it cannot write', async (t) => {
    const skip = await engineSkipReason();
    if (skip !== false) {
      t.skip(skip);
      return;
    }
    const root = mkdtempSync(path.join(tmpdir(), 'imagesum-test-'));
    try {
      writeFileSync(path.join(root, 'imagesum.yaml'), 'images:\n  - { dockerfile: Dockerfile, name: imagesum-test/unwritable-state }\n');
      writeFileSync(path.join(root, 'Dockerfile'), 'FROM scratch\nCOPY Dockerfile /d\n');
      writeFileSync(path.join(root, 'not-a-folder'), '');
      const result = runCli(['-C', root, 'build', '--offline'], { env: { IMAGESUM_CACHE_DIR: path.join(root, 'not-a-folder') } });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /cannot create the build log folder .*not-a-folder.*; set IMAGESUM_CACHE_DIR to a writable folder\n$/);
      assert.doesNotMatch(result.stderr, /internal error/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
