import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { loadGraph, checksumGraph } from '../../src/analysis.js';
import type { EngineImage } from '../../src/engine/types.js';
import { CHECKSUM_LABEL, compareWithEngine, EngineImageIndex } from '../../src/status/index.js';
import { makeTree } from '../support/tree.js';

/** Compares a tree with a list of engine images the test writes, so no engine is needed. */
function statusesWith(files: Record<string, string>, engineImages: (checksums: Map<string, string>) => EngineImage[], identifyBy: 'id' | 'reference') {
  const tree = makeTree(files);
  try {
    const { project, graph } = loadGraph({ cwd: tree.root });
    const checksums = checksumGraph(project, graph, {
      statCache: false,
      identifyExternal: (reference) =>
        identifyBy === 'id'
          ? { kind: 'image-id', reference: `${reference.domain}/${reference.path}`, id: 'sha256:base' }
          : { kind: 'reference', reference: `${reference.domain}/${reference.path}` },
    });
    const labels = new Map([...checksums].map(([name, result]) => [name, result.checksum as string]));
    return compareWithEngine(graph, checksums, new EngineImageIndex(engineImages(labels)));
  } finally {
    tree.remove();
  }
}

const FILES = {
  'imagesum.yaml': 'images:\n  - dockerfile: "{name}/Dockerfile"\n    name: t/{name}\n',
  'a/Dockerfile': 'FROM ext/base:1\n',
  'b/Dockerfile': 'FROM t/a\n',
};

const labelled = (name: string, checksum: string): EngineImage => ({ id: `sha256:${name.length}`, repoTags: [name], repoDigests: [], labels: { [CHECKSUM_LABEL]: checksum } });

describe('status', () => {
  it('reports fresh when labels match', () => {
    const statuses = statusesWith(FILES, (labels) => [...labels].map(([name, checksum]) => labelled(name, checksum)), 'id');
    assert.equal(statuses.get('t/a:latest')?.state, 'fresh');
    assert.equal(statuses.get('t/b:latest')?.state, 'fresh');
  });

  it('never calls an image on a missing external base fresh', () => {
    const statuses = statusesWith(FILES, (labels) => [...labels].map(([name, checksum]) => labelled(name, checksum)), 'reference');
    assert.deepEqual(
      [statuses.get('t/a:latest')?.state, statuses.get('t/a:latest')?.reason],
      ['stale', 'external image docker.io/ext/base is not in the engine'],
    );
    assert.deepEqual(
      [statuses.get('t/b:latest')?.state, statuses.get('t/b:latest')?.reason],
      ['stale', 'external image docker.io/ext/base under base t/a:latest is not in the engine'],
    );
  });
});

describe('engine image index', () => {
  const image: EngineImage = { id: 'sha256:1', repoTags: ['localhost/x:latest'], repoDigests: [], labels: {} };

  it('ignores localhost/ tags on Docker', () => {
    assert.equal(new EngineImageIndex([image], 'docker').find('x'), undefined);
  });

  it('matches localhost/ tags on podman', () => {
    assert.equal(new EngineImageIndex([image], 'podman').find('x'), image);
  });
});
