import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ImagesumError } from '../../src/errors.js';
import { detectBuilder, findExecutables, probeClient } from '../../src/engine/index.js';
import { runCommand } from '../support/engine.js';

let root = '';
let probeLog = '';

/** Folders holding one fake client each, named after what the client can do. */
const folders = {
  docker28: '',
  docker28Buildx: '',
  docker20: '',
  broken: '',
  podman: '',
  linkToDocker20: '',
};

/**
 * Writes a shell script that prints a version for `--version`, succeeds for `buildx version` only when
 * `hasBuildx` is set, and appends each call to the probe log.
 */
async function writeFakeClient(folder: string, name: string, versionLine: string, hasBuildx: boolean): Promise<void> {
  await mkdir(folder, { recursive: true });
  const script = [
    '#!/bin/sh',
    'echo "$0 $*" >> "$PROBE_LOG"',
    'case "$1" in',
    `  --version) ${versionLine === '' ? 'exit 1' : `echo '${versionLine}'`} ;;`,
    `  buildx) ${hasBuildx ? "echo 'github.com/docker/buildx v0.12.1 abc'" : 'echo "unknown command: buildx" >&2; exit 1'} ;;`,
    '  *) exit 2 ;;',
    'esac',
    '',
  ].join('\n');
  const path = join(folder, name);
  await writeFile(path, script);
  await chmod(path, 0o755);
}

function environment(...pathFolders: string[]): NodeJS.ProcessEnv {
  return { PATH: pathFolders.join(':'), PROBE_LOG: probeLog };
}

async function probeCalls(): Promise<string[]> {
  const text = await readFile(probeLog, 'utf8').catch(() => '');
  await writeFile(probeLog, '');
  return text.split('\n').filter((line) => line !== '');
}

function assertEngineError(error: unknown, message: string): true {
  assert.ok(error instanceof ImagesumError, String(error));
  assert.equal(error.kind, 'engine');
  assert.equal(error.message, message);
  return true;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'imagesum-builders-'));
  probeLog = join(root, 'probes.log');
  for (const name of Object.keys(folders) as Array<keyof typeof folders>) {
    folders[name] = join(root, name);
  }
  await writeFakeClient(folders.docker28, 'docker', 'Docker version 28.2.2, build e6534b4', false);
  await writeFakeClient(folders.docker28Buildx, 'docker', 'Docker version 28.2.2, build e6534b4', true);
  await writeFakeClient(folders.docker20, 'docker', 'Docker version 20.10.24+dfsg1, build 297e128', false);
  await writeFakeClient(folders.broken, 'docker', '', true);
  await writeFakeClient(folders.podman, 'podman', 'podman version 4.3.1', false);
  await symlink(folders.docker20, folders.linkToDocker20);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('detectBuilder with fake clients', () => {
  it('skips a new client without buildx', async () => {
    const choice = await detectBuilder('buildkit', { env: environment(folders.docker28, folders.docker20) });
    assert.deepEqual(choice, {
      client: join(folders.docker20, 'docker'),
      env: { DOCKER_BUILDKIT: '1' },
      builder: 'buildkit',
      description: `${join(folders.docker20, 'docker')} 20.10.24+dfsg1 with DOCKER_BUILDKIT=1`,
    });
  });

  it('takes a client with buildx', async () => {
    const choice = await detectBuilder('buildkit', { env: environment(folders.docker28, folders.docker28Buildx) });
    assert.equal(choice.client, join(folders.docker28Buildx, 'docker'));
    assert.deepEqual(choice.env, { DOCKER_BUILDKIT: '1' });
    assert.equal(choice.description, `${join(folders.docker28Buildx, 'docker')} 28.2.2 with buildx`);
  });

  it('follows PATH order', async () => {
    const choice = await detectBuilder('buildkit', { env: environment(folders.docker28Buildx, folders.docker20) });
    assert.equal(choice.client, join(folders.docker28Buildx, 'docker'));
  });

  it('probes every docker in parallel', async () => {
    await probeCalls();
    await detectBuilder('buildkit', { env: environment(folders.docker28, folders.docker20) });
    const calls = (await probeCalls()).sort();
    assert.deepEqual(calls, [
      `${join(folders.docker20, 'docker')} --version`,
      `${join(folders.docker20, 'docker')} buildx version`,
      `${join(folders.docker28, 'docker')} --version`,
      `${join(folders.docker28, 'docker')} buildx version`,
    ]);
  });

  it('explains a missing buildx', async () => {
    await assert.rejects(detectBuilder('buildkit', { env: environment(folders.docker28) }), (error) =>
      assertEngineError(
        error,
        `no docker client can build with BuildKit: ${join(folders.docker28, 'docker')} 28.2.2 has no buildx plugin, ` +
          'which Docker 23.0 and later need for BuildKit; install the buildx plugin (docker-buildx-plugin or ' +
          'docker-buildx), set IMAGESUM_DOCKER to a docker client older than 23.0, or use the classic builder',
      ),
    );
  });

  it('chooses the classic builder', async () => {
    await probeCalls();
    const choice = await detectBuilder('classic', { env: environment(folders.docker28, folders.docker20) });
    assert.deepEqual(choice, {
      client: join(folders.docker28, 'docker'),
      env: { DOCKER_BUILDKIT: '0' },
      builder: 'classic',
      description: `${join(folders.docker28, 'docker')} 28.2.2 with DOCKER_BUILDKIT=0`,
    });
    const calls = await probeCalls();
    assert.ok(calls.every((call) => call.endsWith(' --version')), calls.join('; '));
  });

  it('skips a client that prints no version', async () => {
    const choice = await detectBuilder('classic', { env: environment(folders.broken, folders.docker20) });
    assert.equal(choice.client, join(folders.docker20, 'docker'));
  });

  it('reports no docker on PATH', async () => {
    const empty = join(root, 'empty');
    await assert.rejects(detectBuilder('classic', { env: environment(empty) }), (error) =>
      assertEngineError(
        error,
        `no working docker client was found on PATH (${empty}); install Docker (for example apt-get install ` +
          'docker.io) or set IMAGESUM_DOCKER to the client path',
      ),
    );
  });

  it('finds podman', async () => {
    await probeCalls();
    const choice = await detectBuilder('podman', { env: environment(folders.docker20, folders.podman) });
    assert.deepEqual(choice, {
      client: join(folders.podman, 'podman'),
      env: {},
      builder: 'podman',
      description: `${join(folders.podman, 'podman')} 4.3.1`,
    });
    assert.deepEqual(await probeCalls(), [`${join(folders.podman, 'podman')} --version`]);
  });

  it('reports a missing podman', async () => {
    await assert.rejects(detectBuilder('podman', { env: environment(folders.docker20) }), (error) =>
      assertEngineError(error, 'podman was not found on PATH; install podman or choose the buildkit or classic builder'),
    );
  });

  it('honours IMAGESUM_DOCKER', async () => {
    const env = { ...environment(folders.docker28Buildx), IMAGESUM_DOCKER: join(folders.docker20, 'docker') };
    const choice = await detectBuilder('buildkit', { env });
    assert.equal(choice.client, join(folders.docker20, 'docker'));
    assert.equal(choice.description, `${join(folders.docker20, 'docker')} 20.10.24+dfsg1 with DOCKER_BUILDKIT=1 (set by IMAGESUM_DOCKER)`);
  });

  it('prefers the client option', async () => {
    const env = { ...environment(folders.docker20), IMAGESUM_DOCKER: join(folders.docker28, 'docker') };
    const choice = await detectBuilder('classic', { env, client: 'docker' });
    assert.equal(choice.client, join(folders.docker20, 'docker'));
    assert.equal(choice.description, `${join(folders.docker20, 'docker')} 20.10.24+dfsg1 with DOCKER_BUILDKIT=0 (set by option)`);
  });

  it('rejects an unsuitable chosen client', async () => {
    const env = { ...environment(folders.docker20), IMAGESUM_DOCKER: join(folders.docker28, 'docker') };
    await assert.rejects(detectBuilder('buildkit', { env }), /no docker client can build with BuildKit: .*docker28\/docker 28\.2\.2/);
  });

  it('rejects podman for BuildKit', async () => {
    const podman = join(folders.podman, 'podman');
    const env = { ...environment(folders.docker20), IMAGESUM_DOCKER: podman };
    await assert.rejects(detectBuilder('buildkit', { env }), (error) =>
      assertEngineError(
        error,
        `the build client ${podman} is podman 4.3.1, but the buildkit builder needs docker; ` +
          'set IMAGESUM_DOCKER to a docker client or choose the podman builder',
      ),
    );
  });

  it('rejects docker for podman', async () => {
    const docker = join(folders.docker20, 'docker');
    await assert.rejects(detectBuilder('podman', { client: docker, env: environment() }), (error) =>
      assertEngineError(
        error,
        `the build client ${docker} is docker 20.10.24+dfsg1, but the podman builder needs podman; ` +
          'set IMAGESUM_DOCKER to a podman client or choose the buildkit or classic builder',
      ),
    );
  });

  it('rejects a missing chosen client', async () => {
    const env = { ...environment(folders.docker20), IMAGESUM_DOCKER: 'no-such-docker' };
    await assert.rejects(detectBuilder('classic', { env }), (error) =>
      assertEngineError(
        error,
        'build client "no-such-docker" is not an executable file or a command on PATH; ' +
          'set IMAGESUM_DOCKER to the path of docker or podman',
      ),
    );
  });

  it('rejects a chosen client without version', async () => {
    const broken = join(folders.broken, 'docker');
    await assert.rejects(detectBuilder('classic', { client: broken, env: environment() }), (error) =>
      assertEngineError(
        error,
        `the build client ${broken} did not print a version with --version; ` +
          'set IMAGESUM_DOCKER to a working docker or podman',
      ),
    );
  });
});

describe('findExecutables', () => {
  it('drops a second path to one file', async () => {
    const found = await findExecutables('docker', [folders.docker20, folders.linkToDocker20, folders.docker28].join(':'));
    assert.deepEqual(found, [join(folders.docker20, 'docker'), join(folders.docker28, 'docker')]);
  });

  it('ignores folders without the name', async () => {
    assert.deepEqual(await findExecutables('docker', [join(root, 'missing'), folders.podman].join(':')), []);
  });
});

describe('probeClient', () => {
  it('reads version and buildx', async () => {
    const capabilities = await probeClient(join(folders.docker28Buildx, 'docker'), environment(), true);
    assert.deepEqual(capabilities, {
      path: join(folders.docker28Buildx, 'docker'),
      product: 'docker',
      version: '28.2.2',
      major: 28,
      hasBuildx: true,
    });
  });
});

const debianClient = '/usr/bin/docker';
const debianClientReason = await (async (): Promise<string | false> => {
  if (!existsSync(debianClient)) {
    return `${debianClient} is missing; install Debian's docker.io`;
  }
  const result = await runCommand(debianClient, ['--version']);
  return /version 20\.10\./.test(result.stdout) ? false : `${debianClient} is not the 20.10 client: ${result.stdout.trim()}`;
})();

describe('detectBuilder on this machine', { skip: debianClientReason }, () => {
  it('uses the 20.10 client for BuildKit', async () => {
    const path = `/usr/local/bin:${process.env['PATH'] ?? ''}`;
    const choice = await detectBuilder('buildkit', { env: { ...process.env, PATH: path, IMAGESUM_DOCKER: '' } });
    const local = await probeClient('/usr/local/bin/docker', process.env, true);
    const expected = local !== undefined && (local.hasBuildx || local.major < 23) ? '/usr/local/bin/docker' : debianClient;

    assert.equal(choice.client, expected);
    assert.equal(choice.builder, 'buildkit');
    assert.deepEqual(choice.env, { DOCKER_BUILDKIT: '1' });
  });
});
