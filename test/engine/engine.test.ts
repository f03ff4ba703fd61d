/**
 * Engine client against the real Docker engine at DOCKER_HOST (default /var/run/docker.sock). Skipped with
 * the connection error when no engine responds. Other test runs may use the same engine at the same time,
 * so checks look only at images that this file created, under unique tags.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ImagesumError } from '../../src/errors.js';
import { createEngineClient, detectBuilder, type EngineImage } from '../../src/engine/index.js';
import { matchKey, parseReference } from '../../src/reference/index.js';
import {
  buildImage,
  EngineCleanup,
  engineSkipReason,
  importBusybox,
  runCommand,
  temporaryFolder,
  uniqueTag,
} from '../support/engine.js';

const LABEL_KEY = 'io.imagesum.checksum';
const CHECKSUM = 'sha256:' + '5e'.repeat(32);

const skip = await engineSkipReason();

describe('engine client against a real engine', { skip }, () => {
  const client = createEngineClient();
  const cleanup = new EngineCleanup(client);
  const labelledTag = uniqueTag('labelled');
  const plainTag = uniqueTag('plain');
  let labelledId = '';
  let plainId = '';

  before(async () => {
    labelledId = await buildImage(`FROM scratch\nLABEL ${LABEL_KEY}=${CHECKSUM}\n`, labelledTag, cleanup);
    plainId = await importBusybox(plainTag, cleanup);
  });

  after(async () => {
    await cleanup.removeAll();
  });

  it('pings', async () => {
    await client.ping();
  });

  it('reads the version', async () => {
    const version = await client.version();
    assert.match(version.version, /^\d+\.\d+/);
    assert.match(version.apiVersion, /^1\.\d+$/);
  });

  it('lists labelled images only', async () => {
    const images = await client.listImages(LABEL_KEY);

    const labelled = images.find((image) => image.id === labelledId);
    assert.ok(labelled, `${labelledTag} (${labelledId}) is missing from the filtered list`);
    assert.deepEqual(labelled.repoTags, [labelledTag]);
    assert.deepEqual(labelled.repoDigests, []);
    assert.equal(labelled.labels[LABEL_KEY], CHECKSUM);
    assert.equal(
      images.find((image) => image.id === plainId),
      undefined,
      'an unlabelled image passed the label filter',
    );
    for (const image of images) {
      assert.ok(LABEL_KEY in image.labels, `${image.id} has no ${LABEL_KEY} label`);
    }
  });

  it('lists all images', async () => {
    const images = await client.listAllImages();
    const ids = images.map((image) => image.id);
    assert.ok(ids.includes(labelledId), 'the labelled image is missing');
    assert.ok(ids.includes(plainId), 'the busybox image is missing');

    const plain = images.find((image) => image.id === plainId) as EngineImage;
    assert.deepEqual(plain.repoTags, [plainTag]);
    assert.deepEqual(plain.labels, {});
  });

  it('matches engine tags by key', async () => {
    const images = await client.listImages(LABEL_KEY);
    const expectedKey = matchKey(parseReference(`docker.io/${labelledTag}`));
    const found = images.find((image) => image.repoTags.some((tag) => matchKey(parseReference(tag)) === expectedKey));
    assert.equal(found?.id, labelledId);
  });

  it('inspects an image by tag', async () => {
    const image = await client.inspectImage(labelledTag);
    assert.equal(image?.id, labelledId);
    assert.deepEqual(image?.repoTags, [labelledTag]);
    assert.equal(image?.labels[LABEL_KEY], CHECKSUM);
  });

  it('inspects an image by ID', async () => {
    const image = await client.inspectImage(plainId);
    assert.equal(image?.id, plainId);
    assert.deepEqual(image?.repoTags, [plainTag]);
  });

  it('returns undefined for a missing image', async () => {
    assert.equal(await client.inspectImage(uniqueTag('missing')), undefined);
    assert.equal(await client.inspectImage('ghcr.io/imagesum-test/missing:1'), undefined);
  });

  it('removes an image once', async () => {
    const tag = uniqueTag('removed');
    await importBusybox(tag, cleanup);

    assert.equal(await client.removeImage(tag, false), true);
    assert.equal(await client.inspectImage(tag), undefined);
    assert.equal(await client.removeImage(tag, false), false);
  });

  it('reports an unreachable registry', async () => {
    // Port 1 on loopback has no registry, so dockerd's connection is refused without leaving the machine.
    await assert.rejects(client.pullImage('127.0.0.1:1/nothing:1'), (error: unknown) => {
      assert.ok(error instanceof ImagesumError);
      assert.equal(error.kind, 'engine');
      assert.ok(error.message.startsWith('pulling 127.0.0.1:1/nothing:1 failed: '), error.message);
      assert.match(error.message, /connection refused/);
      assert.match(error.message, /Check the reference and that the Docker engine can reach its registry$/);
      return true;
    });
  });

  it('builds with the detected BuildKit client', async () => {
    const choice = await detectBuilder('buildkit');
    const context = await temporaryFolder(cleanup, 'buildkit');
    await writeFile(join(context, 'Dockerfile'), `FROM scratch\nLABEL ${LABEL_KEY}=${CHECKSUM}\n`);
    const tag = uniqueTag('buildkit');
    cleanup.trackImage(tag);

    const result = await runCommand(choice.client, ['build', '--tag', tag, context], { ...process.env, ...choice.env });
    assert.equal(result.exitCode, 0, result.stderr);
    // BuildKit reports its steps as `#1 [internal] load build definition`, the classic builder as `Step 1/2`.
    assert.match(result.stderr + result.stdout, /#\d+ \[internal\]/);
    const image = await client.inspectImage(tag);
    assert.equal(image?.labels[LABEL_KEY], CHECKSUM);
  });
});
