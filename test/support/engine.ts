import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createEngineClient, type EngineClient } from '../../src/engine/index.js';

/**
 * Docker CLI for test fixtures. Debian's 20.10 client at /usr/bin/docker matches the 20.10 engine that
 * scripts/engine.sh installs, and builds with either builder.
 */
export const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/** Applets linked to busybox in imported test images, enough for simple RUN steps. */
const BUSYBOX_APPLETS = ['sh', 'cat', 'echo', 'ls', 'mkdir', 'touch', 'chmod', 'cp', 'mv', 'rm', 'ln', 'true', 'false', 'test', 'env', 'sleep'];

/** Busybox binary of Debian's busybox-static package, which links statically and so runs on an empty root. */
const BUSYBOX_PATH = '/bin/busybox';

/**
 * Returns why engine tests must be skipped, or `false` when the engine at DOCKER_HOST (default
 * /var/run/docker.sock) responds to a ping. Pass it as the `skip` option of `describe`.
 */
export async function engineSkipReason(): Promise<string | false> {
  const client = createEngineClient();
  try {
    await client.ping();
    return false;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `no Docker engine: ${reason} (start one with scripts/engine.sh)`;
  }
}

export async function engineAvailable(): Promise<boolean> {
  return (await engineSkipReason()) === false;
}

/** Returns a tag that no other test run uses, such as `imagesum-test/label-1234-9f3a2b:1`. */
export function uniqueTag(purpose: string): string {
  return `imagesum-test/${purpose}-${process.pid}-${randomBytes(3).toString('hex')}:1`;
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command and resolves with its exit code and output. Rejects only when it cannot be started. */
export function runCommand(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ exitCode: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

async function runChecked(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await runCommand(file, args, env);
  if (result.exitCode !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed with exit code ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return result.stdout.trim();
}

/**
 * Images and containers that a test created, removed by `removeAll`. Register each one right after it is
 * created, and call `removeAll` in an `after` hook.
 */
export class EngineCleanup {
  private readonly images = new Set<string>();
  private readonly containers = new Set<string>();
  private readonly folders = new Set<string>();
  /** Images once tagged with a tracked name, oldest first. */
  private readonly ids = new Set<string>();

  constructor(private readonly client: EngineClient = createEngineClient()) {}

  trackImage(image: string): void {
    this.images.add(image);
  }

  /**
   * Notes the image each tracked name points to now. A rebuild moves the name to a new image and leaves the
   * old one untagged, so `removeAll` removes the noted images too. Call it after each build.
   */
  async rememberIds(): Promise<void> {
    for (const image of this.images) {
      const inspected = await this.client.inspectImage(image);
      if (inspected !== undefined) {
        this.ids.delete(inspected.id);
        this.ids.add(inspected.id);
      }
    }
  }

  trackContainer(container: string): void {
    this.containers.add(container);
  }

  trackFolder(folder: string): void {
    this.folders.add(folder);
  }

  /** Removes every registered container, then every image, then every folder, and raises the first failure. */
  async removeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const container of this.containers) {
      const result = await runCommand(DOCKER_CLI, ['rm', '--force', container]);
      if (result.exitCode !== 0 && !/No such container/i.test(result.stderr)) {
        failures.push(new Error(`removing container ${container} failed: ${result.stderr.trim()}`));
      }
    }
    for (const image of this.images) {
      await this.client.removeImage(image, true).catch((error: unknown) => failures.push(error));
    }
    // Newest first, so each image goes before the one it was built on. An image that another tag or a
    // child outside this test still uses cannot be removed without force, and stays.
    for (const id of [...this.ids].reverse()) {
      await this.client.removeImage(id, false).catch(() => undefined);
    }
    for (const folder of this.folders) {
      await rm(folder, { recursive: true, force: true });
    }
    this.containers.clear();
    this.images.clear();
    this.ids.clear();
    this.folders.clear();
    if (failures.length > 0) {
      throw failures[0];
    }
  }
}

/** Creates a temporary folder that `cleanup` removes. */
export async function temporaryFolder(cleanup: EngineCleanup, prefix: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), `imagesum-${prefix}-`));
  cleanup.trackFolder(folder);
  return folder;
}

/**
 * Imports a one-layer image whose root contains only the static busybox binary and symlinks to it, and
 * resolves with the image ID. Needs no registry.
 */
export async function importBusybox(tag: string, cleanup: EngineCleanup): Promise<string> {
  const folder = await temporaryFolder(cleanup, 'busybox');
  const rootfs = join(folder, 'rootfs');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await copyFile(BUSYBOX_PATH, join(rootfs, 'bin', 'busybox'));
  for (const applet of BUSYBOX_APPLETS) {
    await symlink('busybox', join(rootfs, 'bin', applet));
  }

  cleanup.trackImage(tag);
  const script = 'set -o pipefail; tar -C "$1" -c . | "$2" import - "$3"';
  return runChecked('bash', ['-c', script, 'import-busybox', rootfs, DOCKER_CLI, tag]);
}

/**
 * Builds an image from Dockerfile text with an otherwise empty context and resolves with the image ID.
 * Uses the classic builder unless `buildkit` is set.
 */
export async function buildImage(
  dockerfile: string,
  tag: string,
  cleanup: EngineCleanup,
  options: { buildkit?: boolean } = {},
): Promise<string> {
  const context = await temporaryFolder(cleanup, 'context');
  await writeFile(join(context, 'Dockerfile'), dockerfile);

  cleanup.trackImage(tag);
  const env = { ...process.env, DOCKER_BUILDKIT: options.buildkit === true ? '1' : '0' };
  await runChecked(DOCKER_CLI, ['build', '--quiet', '--tag', tag, context], env);
  return runChecked(DOCKER_CLI, ['image', 'inspect', '--format', '{{.Id}}', tag]);
}
