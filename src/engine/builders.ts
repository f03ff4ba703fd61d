import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

import { ImagesumError } from '../errors.js';

/** Build backend: BuildKit or the classic builder through a docker client, or `podman build`. */
export type BuilderKind = 'buildkit' | 'classic' | 'podman';

/** The client to run for builds and the environment variables to add to its environment. */
export interface BuilderChoice {
  /** Absolute path of the client executable. */
  readonly client: string;
  /** Variables to set on top of the inherited environment, such as `DOCKER_BUILDKIT=1`. */
  readonly env: Readonly<Record<string, string>>;
  readonly builder: BuilderKind;
  /** One line for logs, such as `/usr/bin/docker 20.10.24 with DOCKER_BUILDKIT=1`. */
  readonly description: string;
}

export interface BuilderDetectionOptions {
  /** Client executable, a path or a name looked up on PATH. Defaults to IMAGESUM_DOCKER, then to a search. */
  readonly client?: string | undefined;
  /** Environment to read PATH and IMAGESUM_DOCKER from and to run the probes in. Defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/** Probe results for one client executable. */
export interface ClientCapabilities {
  readonly path: string;
  /** CLI product, read from `Docker version …` or `podman version …`. */
  readonly product: 'docker' | 'podman';
  /** Version as the client prints it, such as `20.10.24+dfsg1`. */
  readonly version: string;
  readonly major: number;
  /** Whether `<client> buildx version` succeeds. Always false for podman, which is not probed for it. */
  readonly hasBuildx: boolean;
}

/**
 * The first Docker CLI major version whose `docker build` needs the buildx plugin for BuildKit. Older clients
 * run BuildKit themselves when DOCKER_BUILDKIT=1 is set. Checked with Debian's 20.10.24 client, which builds
 * with DOCKER_BUILDKIT=1, and a 28.2.2 client without buildx, which fails with "the buildx component is missing".
 */
const FIRST_MAJOR_NEEDING_BUILDX = 23;

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Chooses the client for a builder kind. Without a client option or IMAGESUM_DOCKER, every `docker` on PATH
 * is probed in parallel and the first suitable one in PATH order wins. Raises ImagesumError('engine') naming
 * the builder that no client can run and how to get one.
 */
export async function detectBuilder(kind: BuilderKind, options: BuilderDetectionOptions = {}): Promise<BuilderChoice> {
  const env = options.env ?? process.env;
  const product = kind === 'podman' ? 'podman' : 'docker';
  const requested = options.client ?? nonEmpty(env['IMAGESUM_DOCKER']);

  if (requested !== undefined) {
    const origin = options.client === undefined ? 'IMAGESUM_DOCKER' : 'option';
    const capabilities = await probeRequestedClient(requested, kind, env);
    return chooseFrom(kind, [capabilities], env, ` (set by ${origin})`);
  }

  const candidates = await findExecutables(product, env['PATH'] ?? '');
  const probed = await Promise.all(candidates.map((path) => probeClient(path, env, kind === 'buildkit')));
  const working = probed.filter(
    (capabilities): capabilities is ClientCapabilities => capabilities?.product === product,
  );
  return chooseFrom(kind, working, env, '');
}

/** Probes the client that the user named, and raises when it is missing, broken or the wrong product. */
async function probeRequestedClient(
  requested: string,
  kind: BuilderKind,
  env: NodeJS.ProcessEnv,
): Promise<ClientCapabilities> {
  const path = await resolveRequestedClient(requested, env);
  const capabilities = await probeClient(path, env, kind === 'buildkit');
  if (capabilities === undefined) {
    throw new ImagesumError(
      'engine',
      `the build client ${path} did not print a version with --version; set IMAGESUM_DOCKER to a working docker or podman`,
    );
  }

  const product = kind === 'podman' ? 'podman' : 'docker';
  if (capabilities.product !== product) {
    const otherBuilders = capabilities.product === 'podman' ? 'podman' : 'buildkit or classic';
    throw new ImagesumError(
      'engine',
      `the build client ${path} is ${capabilities.product} ${capabilities.version}, but the ${kind} builder needs ` +
        `${product}; set IMAGESUM_DOCKER to a ${product} client or choose the ${otherBuilders} builder`,
    );
  }
  return capabilities;
}

function chooseFrom(
  kind: BuilderKind,
  clients: readonly ClientCapabilities[],
  env: NodeJS.ProcessEnv,
  origin: string,
): BuilderChoice {
  if (kind === 'podman') {
    const podman = clients[0];
    if (podman === undefined) {
      throw new ImagesumError('engine', 'podman was not found on PATH; install podman or choose the buildkit or classic builder');
    }
    return { client: podman.path, env: {}, builder: 'podman', description: `${podman.path} ${podman.version}${origin}` };
  }

  if (kind === 'classic') {
    const docker = clients[0];
    if (docker === undefined) {
      throw missingDocker(env);
    }
    return {
      client: docker.path,
      env: { DOCKER_BUILDKIT: '0' },
      builder: 'classic',
      description: `${docker.path} ${docker.version} with DOCKER_BUILDKIT=0${origin}`,
    };
  }

  for (const docker of clients) {
    if (docker.hasBuildx) {
      return {
        client: docker.path,
        env: { DOCKER_BUILDKIT: '1' },
        builder: 'buildkit',
        description: `${docker.path} ${docker.version} with buildx${origin}`,
      };
    }
    if (docker.major < FIRST_MAJOR_NEEDING_BUILDX) {
      return {
        client: docker.path,
        env: { DOCKER_BUILDKIT: '1' },
        builder: 'buildkit',
        description: `${docker.path} ${docker.version} with DOCKER_BUILDKIT=1${origin}`,
      };
    }
  }

  if (clients.length === 0) {
    throw missingDocker(env);
  }
  const tried = clients.map((docker) => `${docker.path} ${docker.version}`).join(', ');
  throw new ImagesumError(
    'engine',
    `no docker client can build with BuildKit: ${tried} has no buildx plugin, which Docker ${FIRST_MAJOR_NEEDING_BUILDX}.0 ` +
      'and later need for BuildKit; install the buildx plugin (docker-buildx-plugin or docker-buildx), ' +
      `set IMAGESUM_DOCKER to a docker client older than ${FIRST_MAJOR_NEEDING_BUILDX}.0, or use the classic builder`,
  );
}

function missingDocker(env: NodeJS.ProcessEnv): ImagesumError {
  return new ImagesumError(
    'engine',
    `no working docker client was found on PATH (${env['PATH'] ?? ''}); install Docker ` +
      '(for example apt-get install docker.io) or set IMAGESUM_DOCKER to the client path',
  );
}

async function resolveRequestedClient(requested: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (requested.includes('/')) {
    const path = isAbsolute(requested) ? requested : resolve(requested);
    if (await isExecutableFile(path)) {
      return path;
    }
  } else {
    const [path] = await findExecutables(requested, env['PATH'] ?? '');
    if (path !== undefined) {
      return path;
    }
  }
  throw new ImagesumError(
    'engine',
    `build client ${JSON.stringify(requested)} is not an executable file or a command on PATH; ` +
      'set IMAGESUM_DOCKER to the path of docker or podman',
  );
}

/**
 * Lists the executables called `name` in the directories of a PATH value, in PATH order. Paths that resolve
 * to a file already listed (such as /bin/docker when /bin links to /usr/bin) are left out.
 */
export async function findExecutables(name: string, pathValue: string): Promise<string[]> {
  const directories = pathValue.split(delimiter).map((directory) => (directory === '' ? '.' : directory));
  const candidates = directories.map((directory) => resolve(join(directory, name)));
  const checks = await Promise.all(
    candidates.map(async (path) => ((await isExecutableFile(path)) ? realpath(path) : undefined)),
  );

  const seen = new Set<string>();
  const found: string[] = [];
  candidates.forEach((path, index) => {
    const real = checks[index];
    if (real !== undefined && !seen.has(real)) {
      seen.add(real);
      found.push(path);
    }
  });
  return found;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    await access(path, constants.X_OK);
    return info.isFile();
  } catch {
    return false;
  }
}

/**
 * Runs `<client> --version`, and `<client> buildx version` when `withBuildx` is set, in parallel. Resolves
 * `undefined` when the client prints no version. `--version` is used rather than `version`, because
 * `docker version` also contacts the engine and can wait for a slow DOCKER_HOST.
 */
export async function probeClient(
  path: string,
  env: NodeJS.ProcessEnv,
  withBuildx: boolean,
): Promise<ClientCapabilities | undefined> {
  const [versionRun, buildxRun] = await Promise.all([
    run(path, ['--version'], env),
    withBuildx ? run(path, ['buildx', 'version'], env) : Promise.resolve(undefined),
  ]);

  // `Docker version 20.10.24+dfsg1, build 297e128` or `podman version 4.3.1`.
  const match = /^(docker|podman) version\s+v?((\d+)\.[^\s,]*)/im.exec(versionRun.stdout);
  if (versionRun.exitCode !== 0 || match === null) {
    return undefined;
  }
  return {
    path,
    product: match[1]?.toLowerCase() === 'podman' ? 'podman' : 'docker',
    version: match[2] ?? '',
    major: Number(match[3]),
    hasBuildx: buildxRun?.exitCode === 0,
  };
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ exitCode: number; stdout: string }> {
  return new Promise((resolvePromise) => {
    execFile(file, args, { env, timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout) => {
      let exitCode = 0;
      if (error !== null) {
        // A client that could not be started or timed out has no numeric exit code.
        exitCode = typeof error.code === 'number' ? error.code : -1;
      }
      resolvePromise({ exitCode, stdout });
    });
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
