import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import { loadProject } from '../../src/config/index.js';
import { ImagesumError } from '../../src/errors.js';
import { makeTree, type TreeEntry } from '../support/tree.js';

function withTree<T>(files: Record<string, TreeEntry>, body: (root: string) => T): T {
  const tree = makeTree(files);
  try {
    return body(tree.root);
  } finally {
    tree.remove();
  }
}

function configError(files: Record<string, TreeEntry>): string {
  return withTree(files, (root) => {
    try {
      loadProject({ cwd: root });
    } catch (error) {
      assert.ok(error instanceof ImagesumError, `expected an ImagesumError, got ${String(error)}`);
      return error.message;
    }
    return assert.fail('expected loadProject to raise');
  });
}

describe('config patterns', () => {
  it('expands {name} into image names and contexts', () => {
    const files = {
      'imagesum.yaml': 'images:\n  - dockerfile: docker/{name}.docker\n    name: emu/{name}\n    context: docker\n',
      'docker/debian11.docker': 'FROM scratch\n',
      'docker/ubuntu.docker': 'FROM scratch\n',
      'docker/notes.txt': '',
    };
    withTree(files, (root) => {
      const project = loadProject({ cwd: root });
      assert.deepEqual(project.images.map((image) => image.name), ['emu/debian11:latest', 'emu/ubuntu:latest']);
      assert.deepEqual(project.images.map((image) => path.relative(root, image.context)), ['docker', 'docker']);
      assert.equal(project.images[0]?.definedAt.line, 2);
    });
  });

  it('captures several placeholders across segments', () => {
    const files = {
      'imagesum.yaml': 'images:\n  - dockerfile: base/{name}/{tag}.Dockerfile\n    name: registry.example.com/base/{name}:{tag}\n',
      'base/alpine/3.19.Dockerfile': 'FROM scratch\n',
      'base/alpine/3.20.Dockerfile': 'FROM scratch\n',
    };
    withTree(files, (root) => {
      const project = loadProject({ cwd: root });
      assert.deepEqual(project.images.map((image) => image.name), [
        'registry.example.com/base/alpine:3.19',
        'registry.example.com/base/alpine:3.20',
      ]);
      assert.equal(project.images[0]?.context, path.join(root, 'base/alpine'));
    });
  });

  it('merges top-level args with entry args', () => {
    const files = {
      'imagesum.yaml': 'args:\n  A: top\n  B: top\n  V: 1.10\nimages:\n  - dockerfile: Dockerfile\n    name: x\n    args: { B: entry }\n    target: runtime\n    platform: linux/arm64\n',
      Dockerfile: 'FROM scratch\n',
    };
    withTree(files, (root) => {
      const [image] = loadProject({ cwd: root }).images;
      assert.deepEqual(image?.args, { A: 'top', B: 'entry', V: '1.10' });
      assert.equal(image?.target, 'runtime');
      assert.equal(image?.platform, 'linux/arm64');
    });
  });

  it('warns about a pattern that matches nothing', () => {
    withTree({ 'imagesum.yaml': 'images:\n  - dockerfile: none/{name}.docker\n    name: x/{name}\n' }, (root) => {
      const project = loadProject({ cwd: root });
      assert.equal(project.images.length, 0);
      assert.deepEqual(project.warnings, [
        { message: 'dockerfile pattern "none/{name}.docker" matches no file', location: { file: 'imagesum.yaml', line: 2 } },
      ]);
    });
  });

  it('reads --config relative to -C', () => {
    const files = { 'ci/other.yaml': 'images:\n  - dockerfile: app/Dockerfile\n    name: app\n', 'ci/app/Dockerfile': 'FROM scratch\n' };
    withTree(files, (root) => {
      const project = loadProject({ cwd: root, configFile: 'ci/other.yaml' });
      assert.equal(project.root, path.join(root, 'ci'));
      assert.deepEqual(project.images.map((image) => image.name), ['app:latest']);
    });
  });
});

describe('config discovery', () => {
  it('names images after folders and suffixes', () => {
    const files = {
      'app/Dockerfile': 'FROM scratch\n',
      'app/Dockerfile.dev': 'FROM scratch\n',
      'app/Dockerfile.dockerignore': '*\n',
      'tools/Lint.Dockerfile': 'FROM scratch\n',
      'node_modules/x/Dockerfile': 'FROM scratch\n',
    };
    withTree(files, (root) => {
      const project = loadProject({ cwd: root });
      assert.equal(project.configFile, undefined);
      assert.deepEqual(project.images.map((image) => image.name), ['app:latest', 'app-dev:latest', 'tools-lint:latest']);
    });
  });
});

describe('config errors', () => {
  const cases: { name: string; files: Record<string, TreeEntry>; message: string }[] = [
    {
      name: 'unknown top-level key',
      files: { 'imagesum.yaml': 'imagez: []\n' },
      message: 'imagesum.yaml:1: unknown key "imagez" in the config; allowed keys are args, builder, images',
    },
    {
      name: 'unknown entry key',
      files: { 'imagesum.yaml': 'images:\n  - dockerfile: D\n    name: x\n    tags: [a]\n' },
      message: 'imagesum.yaml:4: unknown key "tags" in images[0]; allowed keys are dockerfile, name, context, args, target, platform',
    },
    {
      name: 'wrong type',
      files: { 'imagesum.yaml': 'images:\n  - dockerfile: [a]\n    name: x\n' },
      message: 'imagesum.yaml:2: images[0].dockerfile must be a non-empty string',
    },
    {
      name: 'missing name',
      files: { 'imagesum.yaml': 'images:\n  - dockerfile: D\n' },
      message: 'imagesum.yaml:2: images[0] is missing the key name',
    },
    {
      name: 'invalid YAML',
      files: { 'imagesum.yaml': 'images: [\n' },
      message: 'imagesum.yaml:2: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    },
    {
      name: 'bad builder',
      files: { 'imagesum.yaml': 'builder: kaniko\nimages: []\n' },
      message: 'imagesum.yaml:1: builder must be one of buildkit, classic, not "kaniko"',
    },
    {
      name: 'placeholder missing from the pattern',
      files: { 'imagesum.yaml': 'images:\n  - dockerfile: d/{name}.docker\n    name: x/{tag}\n', 'd/a.docker': 'FROM scratch\n' },
      message: 'imagesum.yaml:2: name uses {tag}, but the dockerfile pattern has no such placeholder; add {tag} to dockerfile or remove it',
    },
    {
      name: 'duplicate image names',
      files: {
        'imagesum.yaml': 'images:\n  - dockerfile: a/Dockerfile\n    name: same\n  - dockerfile: b/Dockerfile\n    name: docker.io/library/same:latest\n',
        'a/Dockerfile': 'FROM scratch\n',
        'b/Dockerfile': 'FROM scratch\n',
      },
      message: 'imagesum.yaml:4: image name docker.io/library/same:latest is defined twice, by a/Dockerfile and b/Dockerfile; give each image its own name',
    },
    {
      name: 'missing context folder',
      files: { 'imagesum.yaml': 'images:\n  - dockerfile: Dockerfile\n    name: x\n    context: nowhere\n', Dockerfile: 'FROM scratch\n' },
      message: 'imagesum.yaml:2: context folder nowhere not found; fix context or create the folder',
    },
    {
      name: 'missing Dockerfile path',
      files: { 'imagesum.yaml': 'images:\n  - dockerfile: app/Dockerfile\n    name: x\n' },
      message: 'imagesum.yaml:2: Dockerfile app/Dockerfile not found; fix the path or create the file',
    },
    {
      name: 'invalid build arg value',
      files: { 'imagesum.yaml': 'args:\n  A: [1]\nimages: []\n' },
      message: 'imagesum.yaml:2: args.A must be a string, number or boolean',
    },
  ];

  for (const testCase of cases) {
    it(testCase.name, () => {
      assert.equal(configError(testCase.files), testCase.message);
    });
  }
});
