import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { loadProject } from '../../src/config/index.js';
import { buildGraph, type ImageGraph } from '../../src/graph/index.js';
import { buildGraphCached, GRAPH_CACHE_VERSION, type GraphCacheOptions } from '../../src/graph/cache.js';
import { RACY_WINDOW_NS } from '../../src/state-files.js';
import { makeTree, type TempTree } from '../support/tree.js';

const CONFIG = 'images:\n  - dockerfile: "{name}/Dockerfile"\n    name: t/{name}\n';

/** A clock past the racy window of every file the test wrote, so that a save is not refused as racy. */
const later = (): bigint => BigInt(Date.now()) * 1_000_000n + RACY_WINDOW_NS + 1_000_000_000n;

let tree: TempTree;
let cache: GraphCacheOptions;

beforeEach(() => {
  tree = makeTree({
    'imagesum.yaml': CONFIG,
    'base/Dockerfile': 'FROM scratch\nENV A=1\nONBUILD COPY x /x\n',
    'app/Dockerfile': 'FROM t/base\nARG V=1\nRUN echo $V\n',
    'app/x': 'x\n',
  });
  cache = { file: path.join(tree.root, 'state', 'graph-cache.bin'), codeDigest: 'code-1', now: later };
});

afterEach(() => tree.remove());

/** Drops the digest that only a cached or settled graph carries, to compare with `buildGraph`. */
function withoutDigest(graph: ImageGraph): ImageGraph {
  const { inputsDigest: _inputsDigest, ...rest } = graph;
  return rest;
}

function load(options: Partial<GraphCacheOptions> = {}) {
  const project = loadProject({ cwd: tree.root });
  return { project, ...buildGraphCached(project, {}, { ...cache, ...options }) };
}

describe('graph cache', () => {
  it('reuses the graph of an unchanged tree with this run’s specs', () => {
    const first = load();
    assert.equal(first.reused, false);
    assert.ok(existsSync(cache.file));
    assert.match(first.graph.inputsDigest ?? '', /^[0-9a-f]{64}$/);

    const second = load();
    assert.equal(second.reused, true);
    assert.equal(second.graph.inputsDigest, first.graph.inputsDigest);
    assert.deepEqual(withoutDigest(second.graph), buildGraph(second.project));
    for (const spec of second.project.images) {
      assert.equal(second.graph.images.get(spec.name)?.spec, spec);
    }
  });

  it('keeps shared objects shared, as the checksum code expects', () => {
    load();
    const { graph } = load();
    const app = graph.images.get('t/app:latest');
    const base = app?.build.stages[0]?.base;
    assert.ok(base?.kind === 'image');
    assert.equal(app?.links[0]?.use, base.use);
  });

  it('rebuilds after a Dockerfile changes, even to the same size', () => {
    const original = load();
    writeFileSync(path.join(tree.root, 'app/Dockerfile'), 'FROM t/base\nARG V=2\nRUN echo $V\n');

    const changed = load();
    assert.equal(changed.reused, false);
    assert.match(changed.graph.inputsDigest ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(changed.graph.inputsDigest, original.graph.inputsDigest);
    assert.deepEqual(withoutDigest(changed.graph), buildGraph(changed.project));
    const stage = changed.graph.images.get('t/app:latest')?.build.stages[0];
    assert.equal(stage?.args['V'], '2');
  });

  it('rebuilds after the config, the build platform or the code changes', () => {
    load();
    assert.equal(load({ codeDigest: 'code-2' }).reused, false);

    load();
    const project = loadProject({ cwd: tree.root });
    const otherPlatform = buildGraphCached(project, { buildPlatform: 'linux/riscv64' }, cache);
    assert.equal(otherPlatform.reused, false);
    assert.deepEqual(withoutDigest(otherPlatform.graph), buildGraph(project, { buildPlatform: 'linux/riscv64' }));

    load();
    writeFileSync(path.join(tree.root, 'imagesum.yaml'), `${CONFIG}args:\n  V: "3"\n`);
    const reconfigured = load();
    assert.equal(reconfigured.reused, false);
    assert.equal(reconfigured.graph.images.get('t/app:latest')?.build.stages[0]?.args['V'], '3');
  });

  it('saves nothing while a Dockerfile is within the racy window', () => {
    const newest = statSync(path.join(tree.root, 'app/Dockerfile'), { bigint: true }).ctimeNs;
    const result = load({ now: () => newest + RACY_WINDOW_NS - 1n });
    assert.equal(result.reused, false);
    assert.equal(result.saveError, undefined);
    assert.equal(result.graph.inputsDigest, undefined, 'caches keyed on the graph must not trust racy Dockerfiles');
    assert.equal(existsSync(cache.file), false);
  });

  it('skips projects with proxy args', () => {
    // A proxy URL may carry credentials, which must not reach a cache file.
    writeFileSync(path.join(tree.root, 'imagesum.yaml'), `${CONFIG}args:\n  HTTP_PROXY: http://user:secret@proxy:3128\n`);
    assert.equal(load().reused, false);
    assert.equal(existsSync(cache.file), false);
  });

  it('ignores a damaged, truncated, foreign or other-version file and saves a good one', () => {
    load();
    const good = readFileSync(cache.file);
    const newline = good.indexOf(0x0a);
    const flipped = Buffer.from(good);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 5) ^ 0xff, flipped.length - 5);

    const cases: [string, Buffer, string][] = [
      ['damaged', flipped, 'checksum mismatch (truncated or damaged)'],
      ['truncated', good.subarray(0, good.length - 100), 'checksum mismatch (truncated or damaged)'],
      ['foreign', Buffer.from('{"entries": []}\n'), 'not an imagesum graph cache'],
      ['other version', Buffer.concat([Buffer.from(`imagesum-graph-cache ${GRAPH_CACHE_VERSION + 1} x`), good.subarray(newline)]), `unsupported version ${GRAPH_CACHE_VERSION + 1}`],
    ];
    for (const [name, bytes, rejection] of cases) {
      writeFileSync(cache.file, bytes);
      const result = load();
      assert.equal(result.reused, false, name);
      assert.equal(result.rejection, rejection, name);
      assert.deepEqual(withoutDigest(result.graph), buildGraph(result.project), name);
      assert.equal(load().reused, true, name);
    }
  });

  it('reports a file it cannot write and still returns the graph', () => {
    writeFileSync(path.join(tree.root, 'state'), 'a file where the folder should be\n');
    const result = load();
    assert.equal(result.reused, false);
    assert.match(result.saveError ?? '', /EEXIST|ENOTDIR/);
    assert.deepEqual(withoutDigest(result.graph), buildGraph(result.project));
  });
});
