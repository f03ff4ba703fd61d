import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { REPOSITORY } from '../support/cli.js';
import { engineSkipReason } from '../support/engine.js';
import { makeTree } from '../support/tree.js';

const LAUNCHER = path.join(REPOSITORY, 'dist/bin/main.js');

/** Node prints this at start-up when it reads NODE_EXTRA_CA_CERTS and the file is missing. */
const CERTIFICATE_WARNING = /Ignoring extra certs/;

/** A certificate file that does not exist, so that Node warns whenever it tries to read it. */
const MISSING_CERTIFICATES = '/nonexistent/imagesum-launcher-test.pem';

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env, NODE_EXTRA_CA_CERTS: MISSING_CERTIFICATES } });
}

describe('launcher', { skip: existsSync(LAUNCHER) ? false : 'the command is not bundled; run npm run build' }, () => {
  it('starts node without reading NODE_EXTRA_CA_CERTS', () => {
    const launched = run(LAUNCHER, ['--version']);
    assert.equal(launched.status, 0, launched.stderr);
    assert.match(launched.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.doesNotMatch(launched.stderr, CERTIFICATE_WARNING);

    // The same file run by node directly reads the certificates, so the check above can fail.
    const direct = run(process.execPath, [LAUNCHER, '--version']);
    assert.equal(direct.status, 0, direct.stderr);
    assert.match(direct.stderr, CERTIFICATE_WARNING);
  });

  it('gives NODE_EXTRA_CA_CERTS back to the build client', async (t) => {
    const skip = await engineSkipReason();
    if (skip !== false) {
      t.skip(skip);
      return;
    }

    const tree = makeTree({
      'imagesum.yaml': 'images:\n  - dockerfile: "{name}/Dockerfile"\n    name: imagesum-test/launcher-{name}\n',
      'a/Dockerfile': 'FROM scratch\nCOPY x /x\n',
      'a/x': 'x\n',
      // A client that records its environment and fails the version probe, so nothing is built.
      'docker': { content: '#!/bin/sh\nenv > "$ENV_LOG"\nexit 1\n', mode: 0o755 },
    });
    try {
      const envLog = path.join(tree.root, 'env.log');
      const result = run(LAUNCHER, ['-C', tree.root, 'build', '--offline'], { IMAGESUM_DOCKER: path.join(tree.root, 'docker'), ENV_LOG: envLog });
      assert.equal(result.status, 3, result.stderr);
      assert.match(result.stderr, /did not print a version/);

      const clientEnvironment = readFileSync(envLog, 'utf8').split('\n');
      assert.ok(clientEnvironment.includes(`NODE_EXTRA_CA_CERTS=${MISSING_CERTIFICATES}`), clientEnvironment.join('\n'));
      assert.equal(clientEnvironment.filter((line) => line.startsWith('IMAGESUM_NODE_EXTRA_CA_CERTS=')).length, 0);
    } finally {
      tree.remove();
    }
  });
});
