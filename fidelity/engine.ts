import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { BuilderName, ImageSpec } from './cases.js';
import { listTar, type FileSystemEntry } from './tar.js';

/** The base image that cases start from, imported from Debian's static busybox because no registry is reachable. */
export const BUSYBOX_IMAGE = 'imagesum-fidelity/busybox:1';
const BUSYBOX_BINARY = '/bin/busybox';
const BUSYBOX_TOOLS = ['sh', 'echo', 'cat', 'mkdir', 'ls', 'cp', 'chmod', 'touch', 'rm', 'ln', 'printf'];

/** Config fields of an image that decide how it runs, compared along with the file system. */
export const CONFIG_FIELDS = [
  'Env',
  'Cmd',
  'Entrypoint',
  'WorkingDir',
  'User',
  'ExposedPorts',
  'Volumes',
  'Labels',
  'OnBuild',
  'Shell',
  'StopSignal',
  'Healthcheck',
] as const;

const BUILD_TIMEOUT_MS = 180_000;
const COMMAND_TIMEOUT_MS = 120_000;

/** The result of one build: the image's canonical content, or the builder's error. */
export type ImageState =
  | { readonly ok: true; readonly digest: string; readonly files: ReadonlyMap<string, FileSystemEntry>; readonly config: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly error: string };

interface CommandResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs the docker CLI (Debian's 20.10 client at /usr/bin/docker, else `docker` on PATH) and remembers every
 * image it creates, so `cleanup` removes exactly those. Each container it creates is removed after its export.
 */
export class Engine {
  readonly client = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
  private readonly tags = new Set<string>();
  private readonly createdIds: string[] = [];
  private importedBase = false;
  /** Snapshots by image ID, because a build that hits the cache for every step returns an image seen before. */
  private readonly snapshots = new Map<string, ImageState>();

  /** Imports the busybox base unless the engine already has it; installs busybox-static with apt-get when missing. */
  async ensureBase(): Promise<void> {
    if ((await this.command(['image', 'inspect', BUSYBOX_IMAGE])).code === 0) {
      return;
    }
    if (!existsSync(BUSYBOX_BINARY)) {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      await runProcess('apt-get', ['update'], { env });
      const install = await runProcess('apt-get', ['install', '-y', '--no-install-recommends', 'busybox-static'], { env });
      if (install.code !== 0 || !existsSync(BUSYBOX_BINARY)) {
        throw new Error(`${BUSYBOX_BINARY} is missing and 'apt-get install busybox-static' failed: ${install.stderr.trim()}`);
      }
    }

    const rootfs = mkdtempSync(path.join(tmpdir(), 'imagesum-fidelity-rootfs-'));
    try {
      mkdirSync(path.join(rootfs, 'bin'));
      copyFileSync(BUSYBOX_BINARY, path.join(rootfs, 'bin', 'busybox'));
      for (const tool of BUSYBOX_TOOLS) {
        symlinkSync('busybox', path.join(rootfs, 'bin', tool));
      }
      const tar = await runProcess('tar', ['-C', rootfs, '-c', '.']);
      if (tar.code !== 0) {
        throw new Error(`tar of the busybox root file system failed: ${tar.stderr.trim()}`);
      }
      const imported = await this.command(['import', '-', BUSYBOX_IMAGE], { input: tar.stdout });
      if (imported.code !== 0) {
        throw new Error(`docker import ${BUSYBOX_IMAGE} failed: ${imported.stderr.trim()}`);
      }
      this.importedBase = true;
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  }

  /** Builds one image with the given builder and tags it, and returns the builder's output. */
  async build(image: ImageSpec, builder: BuilderName, noCache: boolean): Promise<{ ok: boolean; output: string }> {
    const args = ['build', '--network', 'none', '--force-rm', '-f', image.dockerfile, '-t', image.name];
    if (noCache) {
      args.push('--no-cache');
    }
    for (const [name, value] of Object.entries(image.args)) {
      args.push('--build-arg', `${name}=${value}`);
    }
    if (image.target !== undefined) {
      args.push('--target', image.target);
    }
    args.push(image.context);

    this.tags.add(image.name);
    const env = { DOCKER_BUILDKIT: builder === 'buildkit' ? '1' : '0', BUILDKIT_PROGRESS: 'plain' };
    let result = await this.command(args, { env, timeoutMs: BUILD_TIMEOUT_MS });
    let output = `${result.stdout.toString('utf8')}${result.stderr}`;
    // Another user of a shared engine may prune an untagged image that the classic builder's cache lookup
    // just picked. That fails the step, so one more try looks the cache up again.
    if (result.code !== 0 && /unable to find image|No such image/.test(output)) {
      result = await this.command(args, { env, timeoutMs: BUILD_TIMEOUT_MS });
      output = `${output}\n(retried after a missing cached image)\n${result.stdout.toString('utf8')}${result.stderr}`;
    }
    // The classic builder keeps an image per step and per earlier stage; its output names each one.
    for (const match of output.matchAll(/^ ---> ([0-9a-f]{12})$/gm)) {
      this.createdIds.push(match[1]!);
    }
    // A later build may move the tag to another image, so the ID is what cleanup can still find.
    const built = await this.command(['image', 'inspect', '--format', '{{.Id}}', image.name]);
    if (built.code === 0) {
      this.createdIds.push(built.stdout.toString('utf8').trim());
    }
    return { ok: result.code === 0, output };
  }

  /** Reads an image's file system through `docker export` and its config through `docker image inspect`. */
  async snapshot(name: string): Promise<ImageState> {
    const inspected = await this.command(['image', 'inspect', name]);
    if (inspected.code !== 0) {
      return { ok: false, error: `docker image inspect ${name} failed: ${inspected.stderr.trim()}` };
    }
    const details = (JSON.parse(inspected.stdout.toString('utf8')) as { Id?: string; Config?: Record<string, unknown> }[])[0] ?? {};
    const known = details.Id === undefined ? undefined : this.snapshots.get(details.Id);
    if (known !== undefined) {
      return known;
    }
    const config: Record<string, unknown> = {};
    for (const field of CONFIG_FIELDS) {
      config[field] = details.Config?.[field] ?? null;
    }

    // The command is never run: a container needs one to be created, and scratch images have none.
    const created = await this.command(['create', '--network', 'none', name, '/imagesum-fidelity-never-run']);
    if (created.code !== 0) {
      return { ok: false, error: `docker create ${name} failed: ${created.stderr.trim()}` };
    }
    const container = created.stdout.toString('utf8').trim();
    try {
      const exported = await this.command(['export', container]);
      if (exported.code !== 0) {
        return { ok: false, error: `docker export of ${name} failed: ${exported.stderr.trim()}` };
      }
      const files = listTar(exported.stdout);
      const digest = createHash('sha256').update(canonicalListing(files, config)).digest('hex');
      const state: ImageState = { ok: true, digest, files, config };
      if (details.Id !== undefined) {
        this.snapshots.set(details.Id, state);
      }
      return state;
    } finally {
      await this.command(['rm', '-f', container]);
    }
  }

  /**
   * Removes the tags this object built, then every image its builds created that no longer has a tag, and
   * the busybox base if this object imported it. An image that another tag or a child image still uses
   * stays, so images outside this run are left alone even when a step reused one of them from the cache.
   */
  async cleanup(): Promise<void> {
    const tags = [...this.tags];
    for (let i = 0; i < tags.length; i += 50) {
      await this.command(['rmi', ...tags.slice(i, i + 50)]);
    }

    // Newest first, so each image goes before the image it was built on.
    const ids = [...new Set([...this.createdIds].reverse())];
    for (let i = 0; i < ids.length; i += 50) {
      const batch = ids.slice(i, i + 50);
      const inspected = await this.command(['image', 'inspect', '--format', '{{.Id}} {{len .RepoTags}}', ...batch]);
      const untagged = inspected.stdout
        .toString('utf8')
        .split('\n')
        .map((line) => line.split(' '))
        .filter(([id, tagCount]) => id !== undefined && id !== '' && tagCount === '0')
        .map(([id]) => id!);
      if (untagged.length > 0) {
        await this.command(['rmi', ...untagged]);
      }
    }
    // The base goes last, because the engine keeps an image while images built on it exist.
    if (this.importedBase) {
      await this.command(['rmi', BUSYBOX_IMAGE]);
      this.importedBase = false;
    }
    this.tags.clear();
    this.createdIds.length = 0;
  }

  private command(
    args: string[],
    options: { input?: Buffer; env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<CommandResult> {
    return runProcess(this.client, args, {
      input: options.input,
      env: { ...process.env, ...options.env },
      timeoutMs: options.timeoutMs ?? COMMAND_TIMEOUT_MS,
    });
  }
}

/** Returns one line per path plus one per config field, sorted, so equal images give equal text. */
export function canonicalListing(files: ReadonlyMap<string, FileSystemEntry>, config: Readonly<Record<string, unknown>>): string {
  const lines = [...files.values()].map(describeEntry).sort();
  for (const field of Object.keys(config).sort()) {
    lines.push(`config ${field} ${canonicalJson(config[field])}`);
  }
  return lines.join('\n');
}

export function describeEntry(entry: FileSystemEntry): string {
  const mode = entry.mode.toString(8).padStart(4, '0');
  const detail = entry.type === 'file' ? entry.sha256 : entry.link;
  return `${entry.path} ${entry.type} ${mode} ${entry.uid}:${entry.gid} ${detail}`.trimEnd();
}

/** JSON with object keys sorted, so maps such as Labels compare by content. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Lists what differs between two images, at most `limit` lines. */
export function describeDifference(before: ImageState, after: ImageState, limit = 8): string[] {
  if (!before.ok || !after.ok) {
    const describe = (state: ImageState): string => (state.ok ? 'built' : 'build failed');
    return before.ok === after.ok ? [] : [`before: ${describe(before)}, after: ${describe(after)}`];
  }
  const lines: string[] = [];
  const paths = new Set([...before.files.keys(), ...after.files.keys()]);
  for (const filePath of [...paths].sort()) {
    const old = before.files.get(filePath);
    const now = after.files.get(filePath);
    if (old === undefined) {
      lines.push(`added ${describeEntry(now!)}`);
    } else if (now === undefined) {
      lines.push(`removed ${describeEntry(old)}`);
    } else if (describeEntry(old) !== describeEntry(now)) {
      lines.push(`changed ${describeEntry(old)} -> ${describeEntry(now).slice(filePath.length + 1)}`);
    }
  }
  for (const field of CONFIG_FIELDS) {
    const old = canonicalJson(before.config[field]);
    const now = canonicalJson(after.config[field]);
    if (old !== now) {
      lines.push(`config ${field}: ${old} -> ${now}`);
    }
  }
  return lines.length > limit ? [...lines.slice(0, limit), `… and ${lines.length - limit} more`] : lines;
}

function runProcess(
  command: string,
  args: string[],
  options: { input?: Buffer | undefined; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\ntimed out after ${options.timeoutMs} ms; killed`;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      stderr += error.message;
    });
    child.on('close', (code) => {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      resolve({ code, stdout: Buffer.concat(stdout), stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}
