import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';

import { stateFolder } from '../../src/analysis.js';
import { RACY_WINDOW_NS } from '../../src/state-files.js';
import { runCli } from '../support/cli.js';
import { makeTree } from '../support/tree.js';

const CONFIG = 'images:\n  - dockerfile: "{name}/Dockerfile"\n    name: t/{name}\n';

it('hash reuses graph, sees edits', async () => {
  const tree = makeTree({ 'imagesum.yaml': CONFIG, 'a/Dockerfile': 'FROM scratch\nENV V=1\n', 'b/Dockerfile': 'FROM t/a\nCOPY x /x\n', 'b/x': 'x\n' });
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'imagesum-graph-cache-'));
  const emptyCacheDir = mkdtempSync(path.join(tmpdir(), 'imagesum-graph-cache-'));
  const hash = (dir: string) => runCli(['-C', tree.root, 'hash'], { env: { IMAGESUM_CACHE_DIR: dir } });
  try {
    // Only Dockerfiles older than the racy window are trusted, so the tree must settle before a save.
    await sleep(Number(RACY_WINDOW_NS / 1_000_000n) + 200);
    const first = hash(cacheDir);
    assert.equal(first.status, 0, first.stderr);
    // The state folder is named after the project root, below IMAGESUM_CACHE_DIR.
    const file = path.join(cacheDir, path.basename(stateFolder(tree.root)), 'graph-cache.bin');
    const saved = statSync(file).mtimeMs;

    const second = hash(cacheDir);
    assert.equal(second.stdout, first.stdout);
    assert.equal(statSync(file).mtimeMs, saved, 'a reused graph is not saved again');

    writeFileSync(path.join(tree.root, 'a/Dockerfile'), 'FROM scratch\nENV V=2\n');
    const edited = hash(cacheDir);
    const uncached = hash(emptyCacheDir);
    assert.equal(edited.status, 0, edited.stderr);
    assert.equal(edited.stdout, uncached.stdout);
    assert.notEqual(edited.stdout.split('\n')[0], first.stdout.split('\n')[0]);
    assert.notEqual(edited.stdout.split('\n')[1], first.stdout.split('\n')[1], 'the dependent changes with its base');
  } finally {
    tree.remove();
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(emptyCacheDir, { recursive: true, force: true });
  }
});
