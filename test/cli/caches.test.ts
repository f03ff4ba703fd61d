import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { analyze, stateFolder } from '../../src/analysis.js';
import type { ExternalIdentity } from '../../src/checksum/index.js';
import { RACY_WINDOW_NS } from '../../src/state-files.js';
import { runCli } from '../support/cli.js';
import { makeTree, type TempTree } from '../support/tree.js';

const CONFIG = 'images:\n  - dockerfile: "{name}/Dockerfile"\n    name: t/{name}\n';

/** One image per kind of change, so that each change meets a saved checksum of its own image. */
const FILES = {
  'imagesum.yaml': CONFIG,
  'content/Dockerfile': 'FROM scratch\nCOPY x /x\n',
  'content/x': '1\n',
  'added/Dockerfile': 'FROM scratch\nCOPY dir/ /d/\n',
  'added/dir/old': 'old\n',
  'mode/Dockerfile': 'FROM scratch\nCOPY y /y\n',
  'mode/y': 'y\n',
  'ignored/Dockerfile': 'FROM scratch\nCOPY . /src\n',
  'ignored/.dockerignore': 'junk\n',
  'ignored/junk': 'junk\n',
  'link/Dockerfile': 'FROM scratch\nCOPY l /l\n',
  'link/one': '1\n',
  'link/two': '2\n',
  'link/l': { link: 'one' },
  'child/Dockerfile': 'FROM t/content\n',
  'same/Dockerfile': 'FROM scratch\nCOPY z /z\n',
  'same/z': 'z\n',
  'external/Dockerfile': 'FROM example.com/base:1\nCOPY e /e\n',
  'external/e': 'e\n',
};

let tree: TempTree;
let cacheDir: string;
const emptyCacheDirs: string[] = [];

function checksums(output: string): Map<string, string> {
  return new Map(output.trimEnd().split('\n').map((line) => line.split('  ').reverse() as [string, string]));
}

/** Runs `hash` with the shared state folder, and checks it against a run that starts without any cache. */
function hash(): Map<string, string> {
  const warm = runCli(['-C', tree.root, 'hash'], { env: { IMAGESUM_CACHE_DIR: cacheDir } });
  assert.equal(warm.status, 0, warm.stderr);
  const emptyCacheDir = mkdtempSync(path.join(tmpdir(), 'imagesum-caches-'));
  emptyCacheDirs.push(emptyCacheDir);
  const cold = runCli(['-C', tree.root, 'hash'], { env: { IMAGESUM_CACHE_DIR: emptyCacheDir } });
  assert.equal(warm.stdout, cold.stdout, 'the caches change no checksum');
  return checksums(warm.stdout);
}

function stateFile(name: string): string {
  // The state folder is named after the project root, below IMAGESUM_CACHE_DIR.
  return path.join(cacheDir, path.basename(stateFolder(tree.root)), name);
}

describe('caches', () => {
  before(async () => {
    tree = makeTree(FILES);
    cacheDir = mkdtempSync(path.join(tmpdir(), 'imagesum-caches-'));
    // Files younger than the racy window are never trusted, so the tree must settle before a save.
    await sleep(Number(RACY_WINDOW_NS / 1_000_000n) + 200);
  });

  after(() => {
    tree.remove();
    for (const folder of [cacheDir, ...emptyCacheDirs]) {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reuse keeps the files untouched', () => {
    const first = hash();
    const saved = ['graph-cache.bin', 'checksum-cache.json', 'stat-cache.json'].map((name) => statSync(stateFile(name)).mtimeMs);

    assert.deepEqual(hash(), first);
    const after = ['graph-cache.bin', 'checksum-cache.json', 'stat-cache.json'].map((name) => statSync(stateFile(name)).mtimeMs);
    assert.deepEqual(after, saved, 'a run that reuses everything writes no cache file');
  });

  it('context changes reach checksums', () => {
    const before = hash();
    writeFileSync(path.join(tree.root, 'content/x'), '2\n');
    writeFileSync(path.join(tree.root, 'added/dir/new'), 'new\n');
    chmodSync(path.join(tree.root, 'mode/y'), 0o755);
    writeFileSync(path.join(tree.root, 'ignored/.dockerignore'), 'nothing\n');
    unlinkSync(path.join(tree.root, 'link/l'));
    symlinkSync('two', path.join(tree.root, 'link/l'));

    const changed = hash();
    for (const name of ['content', 'added', 'mode', 'ignored', 'link', 'child']) {
      assert.notEqual(changed.get(`t/${name}:latest`), before.get(`t/${name}:latest`), name);
    }
    assert.equal(changed.get('t/same:latest'), before.get('t/same:latest'));
  });

  it('Dockerfile edits reach checksums', () => {
    const before = hash();
    writeFileSync(path.join(tree.root, 'same/Dockerfile'), 'FROM scratch\nCOPY z /z2\n');

    const changed = hash();
    assert.notEqual(changed.get('t/same:latest'), before.get('t/same:latest'));
    assert.equal(changed.get('t/external:latest'), before.get('t/external:latest'));
  });

  it('external identities reach checksums', () => {
    const previous = process.env['IMAGESUM_CACHE_DIR'];
    process.env['IMAGESUM_CACHE_DIR'] = cacheDir;
    try {
      const withId = (id: string) => (): ExternalIdentity => ({ kind: 'image-id', reference: 'example.com/base:1', id });
      const first = analyze({ cwd: tree.root, identifyExternal: withId('sha256:1') }).checksums;
      const again = analyze({ cwd: tree.root, identifyExternal: withId('sha256:1') }).checksums;
      const moved = analyze({ cwd: tree.root, identifyExternal: withId('sha256:2') }).checksums;
      const uncached = analyze({ cwd: tree.root, identifyExternal: withId('sha256:2'), graphCache: false, checksumCache: false }).checksums;

      assert.equal(again.get('t/external:latest')?.checksum, first.get('t/external:latest')?.checksum);
      assert.notEqual(moved.get('t/external:latest')?.checksum, first.get('t/external:latest')?.checksum);
      assert.equal(moved.get('t/external:latest')?.checksum, uncached.get('t/external:latest')?.checksum);
      assert.deepEqual(moved.get('t/external:latest')?.manifest, uncached.get('t/external:latest')?.manifest);
    } finally {
      if (previous === undefined) {
        delete process.env['IMAGESUM_CACHE_DIR'];
      } else {
        process.env['IMAGESUM_CACHE_DIR'] = previous;
      }
    }
  });
});
