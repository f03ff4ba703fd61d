import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Deterministic generator of a Dockerfile tree shaped like a fuzzing service. A handful of shared base images
 * form one chain that starts FROM an external image. Many small project images each build FROM one of the
 * builder bases and copy a build script and a few patches, dictionaries, options files and seed corpora.
 *
 * The same options always produce the same bytes, so runs on different days measure the same tree.
 */

/** The external image the first base builds FROM. The benchmark imports it from busybox, so no registry is needed. */
export const EXTERNAL_BASE = 'imagesum-bench/busybox:1';

/** Label every generated image carries, so the benchmark can remove exactly the images it built. */
export const BENCH_LABEL = 'io.imagesum.bench';

/** Image name prefix of every generated image. */
export const NAME_PREFIX = 'imagesum-bench/';

/** Context files and bytes per image of the reference tree: 6,400 files and 36 MiB for 1,400 images. */
const FILES_PER_IMAGE = 6400 / 1400;
const BYTES_PER_IMAGE = (36 * 1024 * 1024) / 1400;

export interface TreeOptions {
  /** Number of images, bases included. At least the number of bases plus one. */
  readonly images: number;
  /** Number of context files, Dockerfiles included. Default: 6,400 per 1,400 images. */
  readonly files?: number;
  /** Total bytes of all context files. Default: 36 MiB per 1,400 images. */
  readonly bytes?: number;
  /**
   * Whether the Dockerfiles have RUN steps. Default: true. A tree without them builds without starting any
   * container, for engines whose build containers cannot get a network.
   */
  readonly runSteps?: boolean;
  /** Seed of the pseudo-random sizes, contents and base choices. Default: 1. */
  readonly seed?: number;
}

interface BaseSpec {
  readonly name: string;
  /** Another base of the tree, or undefined for the external image. */
  readonly parent: string | undefined;
  /** Share of the projects that build FROM this base, or 0 for a base that no project uses. */
  readonly weight: number;
}

/** The shared bases: one chain on the external image, as in OSS-Fuzz's base-clang, base-builder and so on. */
const BASES: readonly BaseSpec[] = [
  { name: 'base-clang', parent: undefined, weight: 0 },
  { name: 'base-builder', parent: 'base-clang', weight: 0.5 },
  { name: 'base-builder-go', parent: 'base-builder', weight: 0.2 },
  { name: 'base-builder-rust', parent: 'base-builder', weight: 0.15 },
  { name: 'base-builder-python', parent: 'base-builder', weight: 0.1 },
  { name: 'base-builder-jvm', parent: 'base-builder', weight: 0.05 },
];

/** Extra files a project may carry, besides its Dockerfile and build script, with relative size weights. */
const EXTRA_KINDS = [
  { dir: '', suffix: '.options', weight: 0.05, binary: false },
  { dir: '', suffix: '.dict', weight: 0.6, binary: false },
  { dir: 'patches/', suffix: '.patch', weight: 1.5, binary: false },
  { dir: 'seeds/', suffix: '.bin', weight: 4, binary: true },
] as const;

export interface GeneratedImage {
  readonly name: string;
  readonly dockerfile: string;
  readonly context: string;
  /** Base of the tree this image builds FROM, or undefined for an image on the external base. */
  readonly base: string | undefined;
}

export interface GeneratedTree {
  readonly root: string;
  readonly images: readonly GeneratedImage[];
  readonly files: number;
  readonly bytes: number;
}

/** Creates a seeded PRNG (mulberry32), which is fast and gives the same numbers on every platform. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(random: () => number, size: number): Buffer {
  const buffer = Buffer.alloc(Math.ceil(size / 4) * 4);
  for (let offset = 0; offset < buffer.length; offset += 4) {
    buffer.writeUInt32LE(Math.floor(random() * 4294967296), offset);
  }
  return buffer.subarray(0, size);
}

/** `size` bytes of printable text in 76-byte lines after a header line, like a patch or a dictionary. */
function randomText(random: () => number, size: number, header: string): Buffer {
  const body = randomBytes(random, Math.ceil((size * 3) / 4)).toString('base64');
  const lines = [header];
  for (let offset = 0; offset < body.length; offset += 75) {
    lines.push(body.slice(offset, offset + 75));
  }
  return Buffer.from(`${lines.join('\n')}\n`).subarray(0, Math.max(size, header.length + 1));
}

function baseDockerfile(base: BaseSpec, runSteps: boolean): string {
  const from = base.parent === undefined ? EXTERNAL_BASE : `${NAME_PREFIX}${base.parent}`;
  const lines = [`# Shared base image ${base.name} of the benchmark tree.`, `FROM ${from}`];
  if (base.parent === undefined) {
    lines.push(`LABEL ${BENCH_LABEL}=1`, 'ENV SRC=/src OUT=/out');
  }
  if (runSteps) {
    lines.push(`RUN mkdir -p /usr/local/lib/${base.name} && echo ${base.name} > /usr/local/lib/${base.name}/id`);
  }
  lines.push(
    `COPY compile /usr/local/bin/compile-${base.name}`,
    `COPY scripts/ /usr/local/lib/${base.name}/`,
  );
  return `${lines.join('\n')}\n`;
}

interface ProjectFile {
  readonly relative: string;
  readonly size: number;
  readonly binary: boolean;
}

function projectDockerfile(name: string, base: string, files: readonly ProjectFile[], runSteps: boolean): string {
  const lines = [`FROM ${NAME_PREFIX}${base}`];
  if (runSteps) {
    lines.push(`RUN mkdir -p $SRC/${name} && echo ${name} > $SRC/${name}/.project`);
  }
  lines.push(`WORKDIR $SRC/${name}`, 'COPY build.sh $SRC/');
  const topLevel = files.filter((file) => !file.relative.includes('/'));
  for (const suffix of ['.options', '.dict']) {
    if (topLevel.some((file) => file.relative.endsWith(suffix))) {
      lines.push(`COPY *${suffix} $OUT/`);
    }
  }
  for (const dir of ['patches', 'seeds']) {
    if (files.some((file) => file.relative.startsWith(`${dir}/`))) {
      lines.push(`COPY ${dir}/ $SRC/${name}/${dir}/`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function pickBase(random: () => number): string {
  let draw = random();
  for (const base of BASES) {
    if (base.weight === 0) {
      continue;
    }
    if (draw < base.weight) {
      return base.name;
    }
    draw -= base.weight;
  }
  return 'base-builder';
}

function configText(): string {
  return [
    '# Generated by bench/generate.ts: a fuzzing service with shared builder bases and many projects.',
    'images:',
    '  - dockerfile: base-images/{name}/Dockerfile',
    `    name: ${NAME_PREFIX}{name}`,
    '  - dockerfile: projects/{name}/Dockerfile',
    `    name: ${NAME_PREFIX}projects/{name}`,
    '',
  ].join('\n');
}

/**
 * Writes the tree under `root`, replacing what is there. When `root` already contains a tree made with the same
 * options by this generator version, nothing is written.
 */
export function generateTree(root: string, options: TreeOptions): GeneratedTree {
  const images = options.images;
  if (!Number.isInteger(images) || images < BASES.length + 1) {
    throw new Error(`invalid image count ${images}: the tree needs at least ${BASES.length + 1} images`);
  }
  const targetFiles = options.files ?? Math.round(images * FILES_PER_IMAGE);
  const targetBytes = options.bytes ?? Math.round(images * BYTES_PER_IMAGE);
  const seed = options.seed ?? 1;
  const runSteps = options.runSteps ?? true;

  const stampFile = `${root}.stamp.json`;
  const stampKey = JSON.stringify({ version: 4, images, targetFiles, targetBytes, seed, runSteps });
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { key: string; tree: GeneratedTree };
    if (stamp.key === stampKey) {
      return stamp.tree;
    }
  } catch {
    // No stamp or an unreadable one: generate the tree anew.
  }

  const random = createRandom(seed);
  const projectCount = images - BASES.length;

  // Each base has a Dockerfile, a compile script and four helper scripts.
  const baseFileCount = BASES.length * 6;
  // Each project has a Dockerfile and a build script. The remaining files are spread over the projects as extras.
  const extraCount = Math.max(0, targetFiles - baseFileCount - projectCount * 2);

  const extrasPerProject: number[] = new Array<number>(projectCount).fill(0);
  for (let i = 0; i < extraCount; i += 1) {
    const index = Math.floor(random() * projectCount);
    extrasPerProject[index] = (extrasPerProject[index] ?? 0) + 1;
  }

  // Draw relative sizes first, then scale them so the whole tree has the target size.
  interface Planned {
    readonly project: number;
    readonly relative: string;
    readonly binary: boolean;
    weight: number;
  }
  const planned: Planned[] = [];
  for (let project = 0; project < projectCount; project += 1) {
    planned.push({ project, relative: 'build.sh', binary: false, weight: 0.4 + random() });
    for (let extra = 0; extra < (extrasPerProject[project] ?? 0); extra += 1) {
      const kind = EXTRA_KINDS[Math.floor(random() * EXTRA_KINDS.length)] ?? EXTRA_KINDS[0];
      // A long tail: most files are small and a few seed files are large.
      const spread = Math.exp((random() - 0.5) * 3);
      planned.push({
        project,
        relative: `${kind.dir}file${extra}${kind.suffix}`,
        binary: kind.binary,
        weight: kind.weight * spread,
      });
    }
  }
  for (let i = 0; i < BASES.length * 5; i += 1) {
    planned.push({ project: -1 - i, relative: '', binary: false, weight: 1 });
  }

  const dockerfileBytesEstimate = images * 250;
  const weightSum = planned.reduce((sum, file) => sum + file.weight, 0);
  const bytesPerWeight = Math.max(0, targetBytes - dockerfileBytesEstimate) / weightSum;

  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'imagesum.yaml'), configText());

  const generated: GeneratedImage[] = [];
  let files = 0;
  let bytes = 0;
  const write = (file: string, content: Buffer | string): void => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    files += 1;
    bytes += Buffer.byteLength(content);
  };

  const baseScripts = planned.filter((file) => file.project < 0);
  BASES.forEach((base, index) => {
    const dir = path.join(root, 'base-images', base.name);
    write(path.join(dir, 'Dockerfile'), baseDockerfile(base, runSteps));
    const sizes = baseScripts.slice(index * 5, index * 5 + 5).map((file) => Math.max(64, Math.round(file.weight * bytesPerWeight)));
    write(path.join(dir, 'compile'), randomText(random, sizes[0] ?? 64, '#!/bin/sh'));
    for (let script = 1; script < 5; script += 1) {
      write(path.join(dir, 'scripts', `helper${script}.sh`), randomText(random, sizes[script] ?? 64, '#!/bin/sh'));
    }
    generated.push({
      name: `${NAME_PREFIX}${base.name}:latest`,
      dockerfile: path.join(dir, 'Dockerfile'),
      context: dir,
      base: base.parent === undefined ? undefined : `${NAME_PREFIX}${base.parent}:latest`,
    });
  });

  const width = String(projectCount).length;
  let cursor = 0;
  for (let project = 0; project < projectCount; project += 1) {
    const name = `project-${String(project).padStart(width, '0')}`;
    const dir = path.join(root, 'projects', name);
    const projectFiles: ProjectFile[] = [];
    while (cursor < planned.length && planned[cursor]?.project === project) {
      const file = planned[cursor] as Planned;
      projectFiles.push({ relative: file.relative, binary: file.binary, size: Math.max(16, Math.round(file.weight * bytesPerWeight)) });
      cursor += 1;
    }
    const base = pickBase(random);
    write(path.join(dir, 'Dockerfile'), projectDockerfile(name, base, projectFiles, runSteps));
    for (const file of projectFiles) {
      const content = file.binary ? randomBytes(random, file.size) : randomText(random, file.size, `# ${name}`);
      write(path.join(dir, file.relative), content);
    }
    generated.push({
      name: `${NAME_PREFIX}projects/${name}:latest`,
      dockerfile: path.join(dir, 'Dockerfile'),
      context: dir,
      base: `${NAME_PREFIX}${base}:latest`,
    });
  }

  const tree: GeneratedTree = { root, images: generated, files, bytes };
  writeFileSync(stampFile, JSON.stringify({ key: stampKey, tree }));
  return tree;
}

/** Images that build FROM `base`, directly or through other bases, with `base` first and in build order. */
export function affectedBy(tree: GeneratedTree, base: string): GeneratedImage[] {
  const affected = new Set<string>([base]);
  const ordered: GeneratedImage[] = [];
  for (const image of tree.images) {
    if (image.name === base || (image.base !== undefined && affected.has(image.base))) {
      affected.add(image.name);
      ordered.push(image);
    }
  }
  return ordered;
}

// Run as a script: node dist/bench/generate.js DIR IMAGES
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  const [dir, count] = process.argv.slice(2);
  if (dir === undefined) {
    process.stderr.write('usage: node dist/bench/generate.js DIR [IMAGES]\n');
    process.exit(2);
  }
  const tree = generateTree(path.resolve(dir), { images: Number(count ?? 1400) });
  process.stdout.write(`${tree.images.length} images, ${tree.files} files, ${(tree.bytes / 1e6).toFixed(1)} MB in ${tree.root}\n`);
}
