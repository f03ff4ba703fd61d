import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { analyze } from '../../src/analysis.js';
import { ImagesumError } from '../../src/errors.js';
import { makeTree, type TreeEntry } from '../support/tree.js';

const CONFIG = 'images:\n  - dockerfile: "{name}/Dockerfile"\n    name: t/{name}\n';

function analyzeTree(files: Record<string, TreeEntry>) {
  const tree = makeTree({ 'imagesum.yaml': CONFIG, ...files });
  try {
    return analyze({ cwd: tree.root, statCache: false });
  } finally {
    tree.remove();
  }
}

function graphError(files: Record<string, TreeEntry>): string {
  try {
    analyzeTree(files);
  } catch (error) {
    assert.ok(error instanceof ImagesumError, `expected an ImagesumError, got ${String(error)}`);
    return error.message;
  }
  return assert.fail('expected an error');
}

describe('graph edges', () => {
  it('matches local images however the reference is written', () => {
    const analysis = analyzeTree({
      'base/Dockerfile': 'FROM scratch\n',
      'a/Dockerfile': 'FROM docker.io/t/base:latest\n',
      'b/Dockerfile': 'FROM scratch\nCOPY --from=t/base /x /x\n',
      'c/Dockerfile': 'FROM scratch\nRUN --mount=type=bind,from=index.docker.io/t/base,target=/m true\n',
    });
    for (const name of ['t/a:latest', 't/b:latest', 't/c:latest']) {
      assert.deepEqual(analysis.graph.images.get(name)?.dependsOn, ['t/base:latest'], name);
    }
  });

  it('treats a pinned digest as external', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const analysis = analyzeTree({ 'base/Dockerfile': 'FROM scratch\n', 'a/Dockerfile': `FROM t/base@${digest}\n` });
    assert.deepEqual(analysis.graph.images.get('t/a:latest')?.dependsOn, []);
    assert.deepEqual(analysis.checksums.get('t/a:latest')?.manifest.stages[0]?.base, { kind: 'external', identity: { kind: 'digest', digest } });
  });

  it('follows only stages the target needs', () => {
    const dockerfile = 'FROM t/base AS unused\nFROM scratch AS runtime\nCOPY --from=t/other /x /x\n';
    const analysis = analyzeTree({ 'base/Dockerfile': 'FROM scratch\n', 'other/Dockerfile': 'FROM scratch\n', 'a/Dockerfile': dockerfile });
    assert.deepEqual(analysis.graph.images.get('t/a:latest')?.dependsOn, ['t/other:latest']);
  });

  it('orders every base before its dependents', () => {
    const analysis = analyzeTree({
      'z/Dockerfile': 'FROM scratch\n',
      'm/Dockerfile': 'FROM t/z\n',
      'a/Dockerfile': 'FROM t/m\n',
    });
    assert.deepEqual(analysis.graph.order, ['t/z:latest', 't/m:latest', 't/a:latest']);
  });

  it('reads ENV of a later-listed base', () => {
    const analysis = analyzeTree({
      'a/Dockerfile': 'FROM t/b\nCOPY $DIR/x /x\n',
      'b/Dockerfile': 'FROM scratch\nENV DIR=sub\n',
      'a/sub/x': 'x',
    });
    const read = analysis.checksums.get('t/a:latest')?.manifest.stages[0]?.contextReads[0];
    assert.deepEqual(read?.entries.map((entry) => entry.path), ['sub/x']);
  });

  it('skipped stage fakes no cycle', () => {
    // t/a lists a stage FROM t/b that its target skips, and t/b builds FROM t/a, so this is no cycle. t/b
    // must still run t/a's ONBUILD trigger and read app.txt, whichever of the two is resolved first.
    const files = {
      'a/Dockerfile': 'FROM t/b AS unused\nFROM scratch\nENV DIR=sub\nONBUILD COPY app.txt /app.txt\n',
      'b/Dockerfile': 'FROM t/a\nRUN true\n',
      'b/app.txt': 'v1',
    };
    const first = analyzeTree(files);
    const read = first.checksums.get('t/b:latest')?.manifest.stages[0]?.contextReads[0];
    assert.deepEqual(read?.entries.map((entry) => entry.path), ['app.txt']);
    assert.deepEqual(first.graph.order, ['t/a:latest', 't/b:latest']);

    const changed = analyzeTree({ ...files, 'b/app.txt': 'v2' });
    assert.notEqual(changed.checksums.get('t/b:latest')?.checksum, first.checksums.get('t/b:latest')?.checksum);

    for (const order of [['a', 'b'], ['b', 'a']]) {
      const config = `images:\n${order.map((name) => `  - dockerfile: ${name}/Dockerfile\n    name: t/${name}\n`).join('')}`;
      const listed = analyzeTree({ ...files, 'imagesum.yaml': config });
      assert.equal(listed.checksums.get('t/b:latest')?.checksum, first.checksums.get('t/b:latest')?.checksum, order.join(' '));
    }
  });

  it('classic builds follow skipped-stage images', () => {
    // The classic builder builds every stage up to the target, so it needs t/b and t/c first. BuildKit skips them.
    const files = {
      'a/Dockerfile': 'FROM t/b AS unused\nCOPY --from=t/c /x /x\nFROM scratch\nCOPY a.txt /a.txt\n',
      'a/a.txt': 'a',
      'b/Dockerfile': 'FROM scratch\n',
      'c/Dockerfile': 'FROM scratch\n',
    };
    const classicConfig = `builder: classic\n${CONFIG}`;
    const classic = analyzeTree({ ...files, 'imagesum.yaml': classicConfig });
    assert.deepEqual(classic.graph.images.get('t/a:latest')?.dependsOn, ['t/b:latest', 't/c:latest']);
    assert.deepEqual(analyzeTree(files).graph.images.get('t/a:latest')?.dependsOn, []);

    // The skipped stages do not reach the image, so a change to t/b leaves t/a's checksum as it was.
    const changed = analyzeTree({ ...files, 'imagesum.yaml': classicConfig, 'b/Dockerfile': 'FROM scratch\nENV B=2\n' });
    assert.notEqual(changed.checksums.get('t/b:latest')?.checksum, classic.checksums.get('t/b:latest')?.checksum);
    assert.equal(changed.checksums.get('t/a:latest')?.checksum, classic.checksums.get('t/a:latest')?.checksum);
  });

  it('classic reports skipped-stage cycles', () => {
    const files = {
      'a/Dockerfile': 'FROM t/b AS unused\nFROM scratch\n',
      'b/Dockerfile': 'FROM t/a\n',
    };
    assert.deepEqual(analyzeTree(files).graph.order, ['t/a:latest', 't/b:latest']);
    assert.equal(
      graphError({ ...files, 'imagesum.yaml': `builder: classic\n${CONFIG}` }),
      'dependency cycle: t/a:latest -> t/b:latest (a/Dockerfile:1) -> t/a:latest (b/Dockerfile:1); an image cannot build FROM itself or its own descendants',
    );
  });

  it('resolves a chain of 10,000 bases', () => {
    // Each image names the next one as its base, and names sort so every child comes before its base.
    const depth = 10_000;
    const files: Record<string, TreeEntry> = {};
    for (let i = 0; i < depth; i++) {
      const name = `i${String(i).padStart(5, '0')}`;
      const base = i === depth - 1 ? 'scratch' : `t/i${String(i + 1).padStart(5, '0')}`;
      files[`${name}/Dockerfile`] = `FROM ${base}\nENV LEVEL${i}=${i}\n`;
    }
    const analysis = analyzeTree(files);
    assert.equal(analysis.graph.order.length, depth);
    assert.equal(analysis.graph.order[0], `t/i${String(depth - 1).padStart(5, '0')}:latest`);
    assert.equal(analysis.graph.order[depth - 1], 't/i00000:latest');
  });
});

describe('graph errors', () => {
  it('places a missing target at the config entry', () => {
    const config = 'images:\n  - dockerfile: a/Dockerfile\n    name: t/a\n    target: nope\n';
    assert.equal(
      graphError({ 'imagesum.yaml': config, 'a/Dockerfile': 'FROM scratch AS one\n' }),
      'imagesum.yaml:2: target stage "nope" not found in a/Dockerfile, whose stages are one; use one of them',
    );
  });

  it('places an invalid platform at the config entry', () => {
    const config = 'images:\n  - dockerfile: a/Dockerfile\n    name: t/a\n    platform: linux\n';
    assert.equal(
      graphError({ 'imagesum.yaml': config, 'a/Dockerfile': 'FROM scratch\n' }),
      'imagesum.yaml:2: invalid platform "linux": write it as os/arch or os/arch/variant, such as linux/amd64 (building a/Dockerfile)',
    );
  });
});

describe('graph cycles', () => {
  it('reports an image built FROM itself', () => {
    assert.equal(
      graphError({ 'a/Dockerfile': 'FROM scratch AS s\nFROM t/a\n' }),
      'dependency cycle: t/a:latest -> t/a:latest (a/Dockerfile:2); an image cannot build FROM itself or its own descendants',
    );
  });

  it('prints every edge of a longer cycle', () => {
    assert.equal(
      graphError({
        'a/Dockerfile': 'FROM t/b\n',
        'b/Dockerfile': '# base\nFROM t/c\n',
        'c/Dockerfile': 'FROM scratch\nCOPY --from=t/a /x /x\n',
      }),
      'dependency cycle: t/a:latest -> t/b:latest (a/Dockerfile:1) -> t/c:latest (b/Dockerfile:2) -> t/a:latest (c/Dockerfile:2); an image cannot build FROM itself or its own descendants',
    );
  });
});
