import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import { analyze } from '../../src/analysis.js';
import { graphJson } from '../../src/report/graph.js';
import { REPOSITORY } from '../support/cli.js';

function exampleGraph(name: string) {
  const analysis = analyze({ cwd: path.join(REPOSITORY, 'examples', name), statCache: false });
  const images = graphJson(analysis.graph, analysis.checksums);
  for (const image of images) {
    assert.match(image.checksum, /^sha256:[0-9a-f]{64}$/, `checksum of ${image.name}`);
  }
  return images.map(({ checksum: _checksum, ...rest }) => rest);
}

describe('bundled examples', () => {
  it('emulator tree links cross-compilers to distro bases', () => {
    const busybox = ['imagesum-example/busybox:1'];
    assert.deepEqual(exampleGraph('emulator'), [
      { name: 'emu/debian11:latest', dockerfile: 'docker/dockerfiles/debian11.docker', context: 'docker/dockerfiles', dependsOn: [], external: busybox },
      { name: 'emu/cross-arm64:latest', dockerfile: 'docker/dockerfiles/cross-arm64.docker', context: 'docker/dockerfiles', dependsOn: ['emu/debian11:latest'], external: [] },
      { name: 'emu/ubuntu2204:latest', dockerfile: 'docker/dockerfiles/ubuntu2204.docker', context: 'docker/dockerfiles', dependsOn: [], external: busybox },
      { name: 'emu/cross-mips:latest', dockerfile: 'docker/dockerfiles/cross-mips.docker', context: 'docker/dockerfiles', dependsOn: ['emu/ubuntu2204:latest'], external: [] },
      { name: 'emu/cross-riscv64:latest', dockerfile: 'docker/dockerfiles/cross-riscv64.docker', context: 'docker/dockerfiles', dependsOn: ['emu/debian11:latest'], external: [] },
      {
        name: 'emu/qemu-tests:latest',
        dockerfile: 'docker/dockerfiles/qemu-tests.docker',
        context: 'docker/dockerfiles',
        dependsOn: ['emu/cross-arm64:latest', 'emu/cross-mips:latest', 'emu/cross-riscv64:latest', 'emu/debian11:latest'],
        external: [],
      },
    ]);
  });

  it('notebook chain follows ARG BASE_IMAGE', () => {
    assert.deepEqual(exampleGraph('notebooks'), [
      { name: 'notebooks/base-notebook:latest', dockerfile: 'base-notebook/Dockerfile', context: 'base-notebook', dependsOn: [], external: ['imagesum-example/busybox:1'] },
      { name: 'notebooks/minimal-notebook:latest', dockerfile: 'minimal-notebook/Dockerfile', context: 'minimal-notebook', dependsOn: ['notebooks/base-notebook:latest'], external: [] },
      { name: 'notebooks/scipy-notebook:latest', dockerfile: 'scipy-notebook/Dockerfile', context: 'scipy-notebook', dependsOn: ['notebooks/minimal-notebook:latest'], external: [] },
    ]);
  });

  it('base-image folder yields one image per tag', () => {
    assert.deepEqual(exampleGraph('base-images'), [
      { name: 'registry.example.com/base/alpine-ish:3.19', dockerfile: 'base-images/alpine-ish/3.19.Dockerfile', context: 'base-images/alpine-ish', dependsOn: [], external: ['imagesum-example/busybox:1'] },
      { name: 'registry.example.com/base/alpine-ish:3.20', dockerfile: 'base-images/alpine-ish/3.20.Dockerfile', context: 'base-images/alpine-ish', dependsOn: [], external: ['imagesum-example/busybox:1'] },
      {
        name: 'registry.example.com/base/toolbox:1.0',
        dockerfile: 'base-images/toolbox/1.0.Dockerfile',
        context: 'base-images/toolbox',
        dependsOn: ['registry.example.com/base/alpine-ish:3.20'],
        external: [],
      },
    ]);
  });
});
