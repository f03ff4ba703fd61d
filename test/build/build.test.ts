import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { buildImages, type BuildEvent, type BuildSummary } from '../../src/build/index.js';
import { createEngineClient } from '../../src/engine/index.js';
import { CHECKSUM_LABEL } from '../../src/status/labels.js';
import { analyzeAgainstEngine } from '../../src/status/session.js';
import { cliArguments, runCli } from '../support/cli.js';
import { EngineCleanup, engineSkipReason, importBusybox, uniqueTag } from '../support/engine.js';
import { makeTree, type TempTree } from '../support/tree.js';

/**
 * Builds a small tree against the real engine: base, two independent children and a top image that reads
 * both. Tests run in order and share the engine state, as a user's successive commands would.
 */
const skip = await engineSkipReason();

describe('build against a real engine', { skip, concurrency: 1 }, () => {
  const cleanup = new EngineCleanup();
  const engine = createEngineClient();
  const prefix = uniqueTag('build').replace(/:1$/, '');
  const name = (image: string) => `${prefix}-${image}:latest`;
  const names = ['base', 'left', 'right', 'top', 'slow', 'racy'].map(name);
  let tree: TempTree;
  let busybox: string;

  before(async () => {
    busybox = uniqueTag('build-busybox');
    await importBusybox(busybox, cleanup);
    names.forEach((image) => cleanup.trackImage(image));
    tree = makeTree({
      'imagesum.yaml': `images:\n  - dockerfile: images/{name}.docker\n    name: ${prefix}-{name}\n    context: images\n`,
      'images/base.docker': `FROM ${busybox}\nRUN echo base > /base\n`,
      'images/left.docker': `FROM ${prefix}-base\nCOPY left.txt /left.txt\nRUN sleep 1\n`,
      'images/right.docker': `FROM ${prefix}-base\nRUN sleep 1 && echo right > /right\n`,
      'images/top.docker': `FROM ${prefix}-left\nCOPY --from=${prefix}-right /right /right\n`,
      'images/left.txt': 'left\n',
    });
  });

  after(async () => {
    tree.remove();
    await cleanup.removeAll();
  });

  const build = async (images: string[] = [], options: { force?: boolean; concurrency?: number } = {}) => {
    const events: { event: BuildEvent; at: number }[] = [];
    const summary = await buildImages({
      cwd: tree.root,
      images,
      concurrency: options.concurrency ?? 2,
      force: options.force ?? false,
      dryRun: false,
      policy: 'stop',
      offline: true,
      listener: { emit: (event) => events.push({ event, at: performance.now() }) },
    });
    await cleanup.rememberIds();
    return { summary, events };
  };
  const sorted = (list: readonly string[]) => [...list].sort();
  const main = ['base', 'left', 'right', 'top'];
  const setImages = (summary: BuildSummary) => ({ built: sorted(summary.built), failed: summary.failed });

  it('builds the tree from empty', async () => {
    const { summary } = await build(main.map((image) => `${prefix}-${image}`));
    assert.deepEqual(setImages(summary), { built: sorted(main.map(name)), failed: [] });

    const image = await engine.inspectImage(name('top'));
    const expected = (await analyzeAgainstEngine({ cwd: tree.root, offline: true })).checksums.get(name('top'))?.checksum;
    assert.equal(image?.labels[CHECKSUM_LABEL], expected);
  });

  it('builds nothing the second time', async () => {
    const { summary } = await build(main.map((image) => `${prefix}-${image}`));
    assert.deepEqual(summary.built, []);
    assert.deepEqual(sorted(summary.fresh), sorted(main.map(name)));
  });

  it('builds nothing after a comment-only change', async () => {
    // The continuation line starts with the one space it replaces, so the joined command is unchanged.
    tree.write('images/base.docker', `# the base of every image\nfrom ${busybox}\n\nrun echo base\\\n# dropped\n > /base\n`);
    const { summary } = await build(main.map((image) => `${prefix}-${image}`));
    assert.deepEqual(summary.built, []);
  });

  it('status --check fails exactly when something is stale', () => {
    const fresh = runCli(['-C', tree.root, 'status', '--check', '--offline', ...main.map((image) => `${prefix}-${image}`)]);
    assert.equal(fresh.status, 0, fresh.stdout + fresh.stderr);

    tree.write('images/left.txt', 'left, edited\n');
    const stale = runCli(['-C', tree.root, 'status', '--check', '--json', '--offline', ...main.map((image) => `${prefix}-${image}`)]);
    assert.equal(stale.status, 1, stale.stderr);
    const rows = (JSON.parse(stale.stdout) as { images: { name: string; state: string; reason: string }[] }).images;
    assert.deepEqual(
      rows.map((row) => [row.name, row.state, row.reason]),
      [
        [name('base'), 'fresh', 'up to date'],
        [name('left'), 'stale', 'built from other inputs (changed: context)'],
        [name('right'), 'fresh', 'up to date'],
        [name('top'), 'stale', `base ${name('left')} is stale`],
      ],
    );
  });

  it('rebuilds exactly the changed image and its descendants', async () => {
    const { summary } = await build(main.map((image) => `${prefix}-${image}`));
    assert.deepEqual(setImages(summary), { built: sorted([name('left'), name('top')]), failed: [] });

    tree.write('images/base.docker', `FROM ${busybox}\nRUN echo base, edited > /base\n`);
    const again = await build(main.map((image) => `${prefix}-${image}`));
    assert.deepEqual(setImages(again.summary), { built: sorted(main.map(name)), failed: [] });
  });

  it('runs independent builds at the same time with -j 2', async () => {
    const { events } = await build([`${prefix}-left`, `${prefix}-right`], { force: true, concurrency: 2 });
    const time = (type: string, image: string) => events.find(({ event }) => event.type === type && 'name' in event && event.name === name(image))?.at;

    const leftStart = time('started', 'left')!;
    const rightStart = time('started', 'right')!;
    const leftEnd = time('succeeded', 'left')!;
    const rightEnd = time('succeeded', 'right')!;
    assert.ok(leftStart < rightEnd && rightStart < leftEnd, `intervals overlap: left ${leftStart}-${leftEnd}, right ${rightStart}-${rightEnd}`);
  });

  it('leaves no wrongly labelled image after Ctrl-C', async () => {
    tree.write('images/slow.docker', `FROM ${busybox}\nRUN sleep 30 && echo done > /done\n`);
    const child = spawn(process.execPath, [...cliArguments(), '-C', tree.root, 'build', '--progress', 'plain', '--offline', `${prefix}-slow`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const started = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`building ${name('slow')}`)) {
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    await started;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    assert.equal(code, 130, output);
    const image = await engine.inspectImage(name('slow'));
    assert.equal(image, undefined, 'the interrupted image must not exist');
  });

  it('removes an image whose inputs changed during its build', async () => {
    tree.write('images/racy.docker', `FROM ${busybox}\nCOPY racy.txt /racy.txt\nRUN sleep 4\n`);
    tree.write('images/racy.txt', 'before\n');

    const pending = build([`${prefix}-racy`]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    writeFileSync(path.join(tree.root, 'images/racy.txt'), 'after\n');
    const { summary } = await pending;

    assert.deepEqual(summary.failed, [name('racy')]);
    assert.equal(await engine.inspectImage(name('racy')), undefined);
  });
});
