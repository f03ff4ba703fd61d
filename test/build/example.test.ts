import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { REPOSITORY, runCli } from '../support/cli.js';
import { EngineCleanup, engineSkipReason, importBusybox, temporaryFolder, uniqueTag } from '../support/engine.js';

/**
 * Builds a copy of the bundled emulator example from empty. Names are rewritten to unique ones, so the test
 * cannot touch images a user built from the example itself.
 */
const skip = await engineSkipReason();

function rewriteTree(folder: string, replacements: readonly [string, string][]): void {
  for (const entry of readdirSync(folder)) {
    const file = path.join(folder, entry);
    if (statSync(file).isDirectory()) {
      rewriteTree(file, replacements);
    } else if (/\.(docker|yaml)$/.test(entry)) {
      let text = readFileSync(file, 'utf8');
      for (const [from, to] of replacements) {
        text = text.split(from).join(to);
      }
      writeFileSync(file, text);
    }
  }
}

describe('bundled emulator example', { skip, concurrency: 1 }, () => {
  const cleanup = new EngineCleanup();
  const prefix = uniqueTag('example').replace(/:1$/, '');
  const images = ['debian11', 'ubuntu2204', 'cross-arm64', 'cross-riscv64', 'cross-mips', 'qemu-tests'];
  let root: string;

  before(async () => {
    const busybox = uniqueTag('example-busybox');
    await importBusybox(busybox, cleanup);
    images.forEach((image) => cleanup.trackImage(`${prefix}/${image}:latest`));

    root = path.join(await temporaryFolder(cleanup, 'example'), 'emulator');
    cpSync(path.join(REPOSITORY, 'examples/emulator'), root, { recursive: true });
    rewriteTree(root, [
      ['FROM emu/', `FROM ${prefix}/`],
      ['--from=emu/', `--from=${prefix}/`],
      ['name: emu/', `name: ${prefix}/`],
      ['imagesum-example/busybox:1', busybox],
    ]);
  });

  after(() => cleanup.removeAll());

  it('builds from empty, then builds nothing', () => {
    const first = runCli(['-C', root, 'build', '--progress', 'plain', '--offline', '-j', '2']);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.match(first.stdout + first.stderr, /^6 built, 0 fresh, 0 failed in /m);

    const second = runCli(['-C', root, 'build', '--progress', 'plain', '--offline']);
    assert.equal(second.status, 0, second.stdout + second.stderr);
    assert.match(second.stdout + second.stderr, /^nothing to build: every selected image is fresh$/m);
    assert.match(second.stdout + second.stderr, /^0 built, 6 fresh, 0 failed in /m);

    const status = runCli(['-C', root, 'status', '--check', '--offline']);
    assert.equal(status.status, 0, status.stdout + status.stderr);
  });
});
