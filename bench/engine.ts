import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BENCH_LABEL, EXTERNAL_BASE, NAME_PREFIX, type GeneratedImage } from './generate.js';
import { run } from './measure.js';

/** Docker client for the engine benchmarks: Debian's 20.10 client, which runs BuildKit without buildx. */
export const DOCKER = process.env['IMAGESUM_BENCH_DOCKER'] ?? '/usr/bin/docker';

export type BuilderKind = 'buildkit' | 'classic';

export function builderEnv(builder: BuilderKind): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_BUILDKIT: builder === 'buildkit' ? '1' : '0' };
}

export function engineVersion(): string {
  return run([DOCKER, 'version', '--format', '{{.Server.Version}}'], { capture: true }).trim();
}

/** Imports a busybox root filesystem as the tree's external base, because no registry can be pulled from. */
export function importBusybox(): void {
  const inspect = spawnSync(DOCKER, ['image', 'inspect', EXTERNAL_BASE], { stdio: 'ignore' });
  if (inspect.status === 0) {
    return;
  }
  const rootfs = mkdtempSync(path.join(os.tmpdir(), 'imagesum-bench-rootfs-'));
  try {
    for (const dir of ['bin', 'etc', 'tmp', 'usr/local/bin', 'usr/local/lib']) {
      mkdirSync(path.join(rootfs, dir), { recursive: true });
    }
    copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
    for (const tool of ['sh', 'echo', 'cat', 'mkdir', 'ls', 'cp', 'chmod', 'touch', 'rm']) {
      symlinkSync('busybox', path.join(rootfs, 'bin', tool));
    }
    run(['bash', '-c', `tar -C "$1" -c . | "$2" import - "$3"`, 'import', rootfs, DOCKER, EXTERNAL_BASE]);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/** Reads the labels of each image, so a plain `docker build` loop can build the very image imagesum built. */
export function readLabels(images: readonly GeneratedImage[]): Map<string, Record<string, string>> {
  const output = run([DOCKER, 'image', 'inspect', '--format', '{{json .Config.Labels}}', ...images.map((image) => image.name)], {
    capture: true,
  });
  const lines = output.trim().split('\n');
  const labels = new Map<string, Record<string, string>>();
  images.forEach((image, index) => {
    labels.set(image.name, JSON.parse(lines[index] ?? 'null') ?? {});
  });
  return labels;
}

/** Builds one image with the docker CLI, as a user without imagesum would. */
export function dockerBuild(image: GeneratedImage, builder: BuilderKind, labels: Record<string, string> = {}): void {
  const labelArgs = Object.entries(labels)
    .filter(([name]) => name !== BENCH_LABEL)
    .flatMap(([name, value]) => ['--label', `${name}=${value}`]);
  run([DOCKER, 'build', '--quiet', '--file', image.dockerfile, '--tag', image.name, ...labelArgs, image.context], {
    env: builderEnv(builder),
  });
}

/**
 * Removes every image the benchmark created: the tagged `imagesum-bench/…` images first, then any untagged
 * image that still carries the benchmark label (images replaced by a rebuild). Images of other tools stay.
 */
export function removeBenchImages(): number {
  const listing = spawnSync(DOCKER, ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' });
  if (listing.status !== 0) {
    return 0;
  }
  const tagged = listing.stdout
    .split('\n')
    .filter((reference) => reference.startsWith(NAME_PREFIX));
  let removed = 0;
  if (tagged.length > 0) {
    spawnSync(DOCKER, ['image', 'rm', '--force', ...tagged], { stdio: 'ignore' });
    removed += tagged.length;
  }

  // Children must go before their parents, so a few passes clear a chain of untagged images.
  for (let pass = 0; pass < 5; pass += 1) {
    const labeled = spawnSync(DOCKER, ['image', 'ls', '--all', '--quiet', '--filter', `label=${BENCH_LABEL}=1`], { encoding: 'utf8' });
    const ids = [...new Set(labeled.stdout.split('\n').filter((id) => id !== ''))];
    if (labeled.status !== 0 || ids.length === 0) {
      break;
    }
    spawnSync(DOCKER, ['image', 'rm', '--force', ...ids], { stdio: 'ignore' });
    removed += ids.length;
  }
  return removed;
}
