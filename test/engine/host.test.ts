import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ImagesumError } from '../../src/errors.js';
import { createEngineClient, parseDockerHost } from '../../src/engine/index.js';

describe('parseDockerHost', () => {
  it('reads a unix socket', () => {
    assert.deepEqual(parseDockerHost('unix:///var/run/docker.sock'), {
      kind: 'unix',
      url: 'unix:///var/run/docker.sock',
      socketPath: '/var/run/docker.sock',
    });
  });

  it('reads a TCP address', () => {
    assert.deepEqual(parseDockerHost('tcp://127.0.0.1:2375'), {
      kind: 'tcp',
      url: 'tcp://127.0.0.1:2375',
      hostname: '127.0.0.1',
      port: 2375,
    });
  });

  it('reads an IPv6 TCP address', () => {
    assert.deepEqual(parseDockerHost('tcp://[::1]:2375'), {
      kind: 'tcp',
      url: 'tcp://[::1]:2375',
      hostname: '::1',
      port: 2375,
    });
  });

  const invalid: ReadonlyArray<readonly [string, string]> = [
    ['unix://', 'invalid Docker host "unix://": the socket path is missing'],
    ['tcp://127.0.0.1', 'invalid Docker host "tcp://127.0.0.1": expected tcp://HOST:PORT'],
    ['tcp://127.0.0.1:2375/path', 'invalid Docker host "tcp://127.0.0.1:2375/path": expected tcp://HOST:PORT'],
    ['tcp://a b:1', 'invalid Docker host "tcp://a b:1": expected tcp://HOST:PORT'],
    [
      'ssh://user@host',
      'unsupported Docker host "ssh://user@host": imagesum connects only to unix:///PATH or tcp://HOST:PORT; ' +
        'set DOCKER_HOST to one of these',
    ],
    [
      '/var/run/docker.sock',
      'unsupported Docker host "/var/run/docker.sock": imagesum connects only to unix:///PATH or tcp://HOST:PORT; ' +
        'set DOCKER_HOST to one of these',
    ],
  ];
  for (const [host, message] of invalid) {
    it(`rejects ${host}`, () => {
      assert.throws(
        () => parseDockerHost(host),
        (error: unknown) => {
          assert.ok(error instanceof ImagesumError);
          assert.equal(error.kind, 'engine');
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }
});

describe('createEngineClient host', () => {
  it('prefers the host option', () => {
    assert.equal(createEngineClient({ host: 'unix:///tmp/x.sock' }).host, 'unix:///tmp/x.sock');
  });

  it('reads DOCKER_HOST', () => {
    const saved = process.env['DOCKER_HOST'];
    try {
      process.env['DOCKER_HOST'] = 'tcp://127.0.0.1:2375';
      assert.equal(createEngineClient().host, 'tcp://127.0.0.1:2375');
    } finally {
      restoreDockerHost(saved);
    }
  });

  it('defaults to the docker socket', () => {
    const saved = process.env['DOCKER_HOST'];
    try {
      process.env['DOCKER_HOST'] = '';
      assert.equal(createEngineClient().host, 'unix:///var/run/docker.sock');
    } finally {
      restoreDockerHost(saved);
    }
  });
});

function restoreDockerHost(saved: string | undefined): void {
  if (saved === undefined) {
    delete process.env['DOCKER_HOST'];
  } else {
    process.env['DOCKER_HOST'] = saved;
  }
}
