import { readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { DOCKER, dockerBuild, engineVersion, importBusybox, readLabels, removeBenchImages, type BuilderKind } from './engine.js';
import { affectedBy, generateTree, NAME_PREFIX, type GeneratedTree } from './generate.js';
import { measure, measureInterleaved, run, runUnderTime, type Stats } from './measure.js';
import { renderMarkdown, type Measurement, type Report, type TargetCheck } from './report.js';

/**
 * The benchmark harness. It measures imagesum and its peers side by side on generated trees and prints a table.
 * `npm run bench` runs it through scripts/bench.sh, and `node dist/bench/run.js --help` lists the options.
 */

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// The bundle that the package's `bin` points to. It is run as users run it, as an executable, so its launcher
// line (see scripts/bundle.mjs) takes part.
const CLI = path.join(REPO_ROOT, 'dist', 'bin', 'main.js');
const SECTIONS = ['analysis', 'noop', 'rebuild', 'scaling', 'version'] as const;
type Section = (typeof SECTIONS)[number];

const HELP = `Usage: node dist/bench/run.js [options]

Options:
  --runs N          timed runs of each fast measurement (default 5); slow engine loops use at most 3
  --only LIST       comma-separated sections to run: ${SECTIONS.join(',')} (default: all)
  --work DIR        folder for the generated trees (default: $TMPDIR/imagesum-bench)
  --json FILE       where to write the results as JSON (default: bench/results.json)
  --markdown FILE   where to write the results as a Markdown table (default: none)
  --keep-images     leave the imagesum-bench/... images in the engine at the end
  --cleanup-only    remove the imagesum-bench/... images and exit
`;

interface Options {
  readonly runs: number;
  readonly sections: ReadonlySet<Section>;
  readonly work: string;
  readonly json: string;
  readonly markdown: string | undefined;
  readonly keepImages: boolean;
}

function readOptions(): Options | undefined {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      only: { type: 'string' },
      work: { type: 'string', default: path.join(os.tmpdir(), 'imagesum-bench') },
      json: { type: 'string', default: path.join(REPO_ROOT, 'bench', 'results.json') },
      markdown: { type: 'string' },
      'keep-images': { type: 'boolean', default: false },
      'cleanup-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  if (values['cleanup-only']) {
    process.stdout.write(`removed ${removeBenchImages()} benchmark images\n`);
    return undefined;
  }

  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`invalid --runs ${JSON.stringify(values.runs)}: expected a whole number of at least 1`);
  }
  const requested = values.only === undefined ? [...SECTIONS] : values.only.split(',').map((name) => name.trim());
  for (const name of requested) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new Error(`unknown section ${JSON.stringify(name)} in --only; sections are ${SECTIONS.join(', ')}`);
    }
  }
  return {
    runs,
    sections: new Set(requested as Section[]),
    work: path.resolve(values.work),
    json: path.resolve(values.json),
    markdown: values.markdown === undefined ? undefined : path.resolve(values.markdown),
    keepImages: values['keep-images'],
  };
}

function imagesum(...args: string[]): string[] {
  return [CLI, ...args];
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

class Recorder {
  readonly measurements: Measurement[] = [];
  readonly targets: TargetCheck[] = [];
  readonly failures: string[] = [];

  /** Runs one section. A failed section is recorded with its error, and the other sections still run. */
  section(name: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.failures.push(`${name}: ${message}`);
      progress(`section ${name} failed: ${message}`);
    }
  }

  add(section: string, name: string, command: string, stats: Stats): Stats {
    this.measurements.push({ section, name, command, ...stats, loadAverage: os.loadavg()[0] ?? 0 });
    progress(`${name}: median ${stats.medianMs.toFixed(1)} ms over ${stats.runs} runs`);
    return stats;
  }

  /** Records a ratio or value. A limit is met when `measured` is at most the limit, or at least it with `atLeast`. */
  target(name: string, measured: number, unit: string, limit?: number, atLeast = false): void {
    let met: boolean | undefined;
    if (limit !== undefined) {
      met = atLeast ? measured >= limit : measured <= limit;
    }
    this.targets.push({ name, measured, unit, limit, atLeast, met });
  }
}

/** Ratio of the median CPU times of two measurements that ran under GNU time. */
function cpuRatio(numerator: Stats, denominator: Stats): number {
  return (numerator.medianCpuMs ?? Number.NaN) / (denominator.medianCpuMs ?? Number.NaN);
}

/** Deletes imagesum's caches and build logs, which the harness keeps in `$IMAGESUM_CACHE_DIR`. */
function dropCaches(): void {
  rmSync(cacheFolder(), { recursive: true, force: true });
}

/**
 * Deletes the graph and checksum caches but keeps the stat cache. A Dockerfile edit has the same effect:
 * the graph's inputs change, so every Dockerfile is parsed and every checksum computed again.
 */
function dropGraphAndChecksumCaches(): void {
  const folder = cacheFolder();
  for (const project of readdirSync(folder)) {
    rmSync(path.join(folder, project, 'graph-cache.bin'), { force: true });
    rmSync(path.join(folder, project, 'checksum-cache.json'), { force: true });
  }
}

function cacheFolder(): string {
  const folder = process.env['IMAGESUM_CACHE_DIR'];
  if (folder === undefined || folder === '') {
    throw new Error('IMAGESUM_CACHE_DIR is not set, so the harness cannot find the caches to delete');
  }
  return folder;
}

/** Runs `tool` over every file of the tree, NUL-separated from `find` into xargs. */
function everyFile(tool: string): string[] {
  return ['bash', '-c', `find . -type f -print0 | xargs -0 ${tool} > /dev/null`];
}

function analysis(recorder: Recorder, options: Options): void {
  const tree = generateTree(path.join(options.work, 'analysis-1400'), { images: 1400 });
  progress(`analysis tree: ${tree.images.length} images, ${tree.files} files, ${(tree.bytes / 2 ** 20).toFixed(1)} MiB`);
  const section = `1. Analysis of ${tree.images.length} images, ${tree.files} files, ${(tree.bytes / 2 ** 20).toFixed(0)} MiB`;
  const cwd = tree.root;
  const dropCache = dropCaches;

  const hashCommand = imagesum('-C', tree.root, 'hash');
  const withoutCertificates = withoutExtraCertificates(process.env);
  // Each round runs the cold case right before the warm ones, so the warm runs find the caches it wrote.
  const [catStats, shaStats, coldStats, warmStats, parsingStats, uncertifiedStats] = measureInterleaved({ runs: options.runs }, [
    { body: () => runUnderTime(everyFile('cat'), { cwd }) },
    { body: () => runUnderTime(everyFile('sha256sum'), { cwd }) },
    { prepare: dropCache, body: () => runUnderTime(hashCommand) },
    { body: () => runUnderTime(hashCommand) },
    { prepare: dropGraphAndChecksumCaches, body: () => runUnderTime(hashCommand) },
    ...(withoutCertificates === undefined ? [] : [{ body: () => runUnderTime(hashCommand, { env: withoutCertificates }) }]),
  ]) as [Stats, Stats, Stats, Stats, Stats, Stats | undefined];
  const cat = recorder.add(section, 'cat every file', 'find … -type f -print0 | xargs -0 cat', catStats);
  const sha = recorder.add(section, 'sha256sum every file', 'find … -type f -print0 | xargs -0 sha256sum', shaStats);
  const cold = recorder.add(section, 'imagesum hash, cold: no caches', 'rm -rf $IMAGESUM_CACHE_DIR; imagesum -C DIR hash', coldStats);
  const warm = recorder.add(section, 'imagesum hash, warm: all caches from the run before', 'imagesum -C DIR hash (second run)', warmStats);
  const parsing = recorder.add(
    section,
    'imagesum hash, stat cache only, as after a Dockerfile edit',
    'rm $IMAGESUM_CACHE_DIR/*/{graph,checksum}-cache.*; imagesum -C DIR hash',
    parsingStats,
  );

  recorder.target('analysis, warm: imagesum hash / sha256sum', warm.medianMs / sha.medianMs, 'x', 2);
  recorder.target('analysis, cold: imagesum hash / sha256sum', cold.medianMs / sha.medianMs, 'x', 4);
  recorder.target('analysis, stat cache only: imagesum hash / sha256sum', parsing.medianMs / sha.medianMs, 'x');
  recorder.target('analysis, warm: imagesum hash / cat', warm.medianMs / cat.medianMs, 'x');
  recorder.target('analysis, cold: imagesum hash / cat', cold.medianMs / cat.medianMs, 'x');
  recorder.target('analysis, warm, CPU time: imagesum hash / sha256sum', cpuRatio(warm, sha), 'x', 2);
  recorder.target('analysis, cold, CPU time: imagesum hash / sha256sum', cpuRatio(cold, sha), 'x', 4);
  recorder.target('analysis: max RSS of imagesum hash', Math.max(cold.maxRssMiB ?? 0, warm.maxRssMiB ?? 0), 'MiB', 200);

  if (uncertifiedStats !== undefined) {
    const command = 'env -u NODE_EXTRA_CA_CERTS imagesum -C DIR hash';
    const uncertified = recorder.add(section, 'imagesum hash, warm, NODE_EXTRA_CA_CERTS unset', command, uncertifiedStats);
    recorder.target('analysis, warm, NODE_EXTRA_CA_CERTS unset: imagesum hash / sha256sum', uncertified.medianMs / sha.medianMs, 'x');
  }
}

function scaling(recorder: Recorder, options: Options): void {
  const section = '3. Scaling of imagesum hash';
  const warmStats = new Map<number, Stats>();
  for (const images of [100, 1000, 10_000]) {
    const tree: GeneratedTree = generateTree(path.join(options.work, `scaling-${images}`), { images });
    progress(`scaling tree: ${tree.images.length} images, ${tree.files} files, ${(tree.bytes / 2 ** 20).toFixed(1)} MiB`);
    const label = `${images} images, ${tree.files} files, ${(tree.bytes / 2 ** 20).toFixed(0)} MiB`;
    const runs = images >= 10_000 ? Math.min(options.runs, 3) : options.runs;
    const command = imagesum('-C', tree.root, 'hash');
    const dropCache = dropCaches;
    const [coldRuns, warmRuns] = measureInterleaved({ runs }, [
      { prepare: dropCache, body: () => runUnderTime(command) },
      { body: () => runUnderTime(command) },
    ]) as [Stats, Stats];
    recorder.add(section, `${label}, cold`, 'rm -rf $IMAGESUM_CACHE_DIR; imagesum -C DIR hash', coldRuns);
    const warm = recorder.add(section, `${label}, warm`, 'imagesum -C DIR hash', warmRuns);
    warmStats.set(images, warm);
  }
  const large = warmStats.get(10_000);
  const small = warmStats.get(1000);
  if (large !== undefined && small !== undefined) {
    recorder.target('scaling: time at 10,000 / time at 1,000 images, warm', large.medianMs / small.medianMs, 'x', 12);
    recorder.target('scaling, CPU time: 10,000 / 1,000 images, warm', cpuRatio(large, small), 'x', 12);
  }
}

function version(recorder: Recorder, options: Options): void {
  const section = '5. Start-up';
  const runs = Math.max(options.runs, 20);
  // Node 20 reads the whole NODE_EXTRA_CA_CERTS bundle at start-up, before any script runs, so where the
  // variable is set every node process pays for it. imagesum's launcher moves it aside; both environments
  // are measured to show that.
  const variants: Array<[string, NodeJS.ProcessEnv]> = [['', process.env]];
  const clean = withoutExtraCertificates(process.env);
  if (clean !== undefined) {
    variants[0] = [', NODE_EXTRA_CA_CERTS set', process.env];
    variants.push([', NODE_EXTRA_CA_CERTS unset', clean]);
  }
  for (const [suffix, env] of variants) {
    const [floor, versionStats] = measureInterleaved({ runs, warmup: 3 }, [
      { body: () => runUnderTime(['node', '-e', '0'], { env }) },
      { body: () => runUnderTime(imagesum('--version'), { env }) },
    ]) as [Stats, Stats];
    recorder.add(section, `node -e 0 (floor)${suffix}`, 'node -e 0', floor);
    const stats = recorder.add(section, `imagesum --version${suffix}`, 'imagesum --version', versionStats);
    recorder.target(`imagesum --version${suffix}`, stats.medianMs, 'ms', 80);
  }
}

/** Returns a copy of `env` without NODE_EXTRA_CA_CERTS, or `undefined` when it is not set. */
function withoutExtraCertificates(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv | undefined {
  if (env['NODE_EXTRA_CA_CERTS'] === undefined) {
    return undefined;
  }
  const clean = { ...env };
  delete clean['NODE_EXTRA_CA_CERTS'];
  return clean;
}

/** Returns the environment for imagesum in the engine sections, naming the 20.10 client, which runs BuildKit without buildx. */
function engineEnv(): NodeJS.ProcessEnv {
  return { ...process.env, IMAGESUM_DOCKER: DOCKER };
}

function noopCheck(recorder: Recorder, options: Options, tree: GeneratedTree, builder: BuilderKind): void {
  const section = `2. No-op check of ${tree.images.length} built images`;
  const env = engineEnv();
  const builderArgs = ['-C', tree.root, '--builder', builder];

  progress(`building ${tree.images.length} images with imagesum build -j 2 (${builder})`);
  recorder.add(section, `first build, imagesum build -j 2 (${builder}), one run`, `imagesum --builder ${builder} build -j 2`, measure({ runs: 1, warmup: 0 }, () => {
    run(imagesum(...builderArgs, 'build', '-j', '2', '--progress', 'plain', '--offline'), { env });
  }));

  const labels = readLabels(tree.images);
  const statusCommand = imagesum(...builderArgs, 'status', '--check', '--offline');
  // Where NODE_EXTRA_CA_CERTS is set, every node process reads the bundle before any script runs unless
  // imagesum's launcher moves it aside (see section 5), so status is also measured without it.
  const withoutCertificates = withoutExtraCertificates(env);
  const cases = [
    { body: () => runUnderTime(statusCommand, { env }) },
    {
      body: () => {
        for (const image of tree.images) {
          dockerBuild(image, builder, labels.get(image.name));
        }
      },
    },
    ...(withoutCertificates === undefined ? [] : [{ body: () => runUnderTime(statusCommand, { env: withoutCertificates }) }]),
  ];
  const [statusStats, loopStats, uncertifiedStats] = measureInterleaved({ runs: Math.min(options.runs, 3) }, cases) as [Stats, Stats, Stats | undefined];
  const certificates = withoutCertificates === undefined ? '' : ', NODE_EXTRA_CA_CERTS set';
  const status = recorder.add(section, `imagesum status --check (${builder})${certificates}`, `imagesum --builder ${builder} status --check`, statusStats);
  const loopCommand = `for each image: DOCKER_BUILDKIT=${builder === 'buildkit' ? 1 : 0} docker build -q -f … -t … --label … CTX`;
  const loop = recorder.add(section, `no-op docker build loop (${builder})`, loopCommand, loopStats);
  if (uncertifiedStats !== undefined) {
    const uncertified = recorder.add(section, `imagesum status --check (${builder}), NODE_EXTRA_CA_CERTS unset`, `imagesum --builder ${builder} status --check`, uncertifiedStats);
    recorder.target(`no-op check (${builder}), NODE_EXTRA_CA_CERTS unset: docker build loop / imagesum status`, loop.medianMs / uncertified.medianMs, 'x');
  }
  // The loop rebuilt the same images from cache, so they must still be fresh.
  run(imagesum(...builderArgs, 'status', '--check', '--offline'), { env });

  // The target applies to BuildKit. The classic builder's ratio is shown for comparison.
  const limit = builder === 'buildkit' ? 30 : undefined;
  recorder.target(`no-op check (${builder}): docker build loop / imagesum status`, loop.medianMs / status.medianMs, 'x', limit, true);
}

function rebuild(recorder: Recorder, options: Options, tree: GeneratedTree): void {
  const base = `${NAME_PREFIX}base-builder-go:latest`;
  const affected = affectedBy(tree, base);
  const section = `4. Rebuild after base-builder-go changes (${affected.length} images: the base and its dependents)`;
  const env = engineEnv();
  const script = path.join(tree.root, 'base-images', 'base-builder-go', 'compile');
  const original = readFileSync(script);
  let change = 0;
  // Every run changes the base's copied script anew, so no run finds its images in the build cache.
  const changeBase = (): void => {
    change += 1;
    writeFileSync(script, Buffer.concat([original, Buffer.from(`# change ${change} at ${Date.now()}\n`)]));
  };
  const runs = Math.min(options.runs, 3);
  try {
    const [parallelStats, serialStats, loopStats] = measureInterleaved({ runs }, [
      { prepare: changeBase, body: () => void run(imagesum('-C', tree.root, 'build', '-j', '2', '--progress', 'plain', '--offline'), { env }) },
      { prepare: changeBase, body: () => void run(imagesum('-C', tree.root, 'build', '-j', '1', '--progress', 'plain', '--offline'), { env }) },
      {
        prepare: changeBase,
        body: () => {
          for (const image of affected) {
            dockerBuild(image, 'buildkit');
          }
        },
      },
    ]) as [Stats, Stats, Stats];
    const parallel = recorder.add(section, 'imagesum build -j 2', 'imagesum build -j 2', parallelStats);
    const serial = recorder.add(section, 'imagesum build -j 1', 'imagesum build -j 1', serialStats);
    const loopCommand = 'for each affected image in order: DOCKER_BUILDKIT=1 docker build -q …';
    const loop = recorder.add(section, 'docker build loop over the affected images', loopCommand, loopStats);
    recorder.target('rebuild: imagesum -j 1 / imagesum -j 2', serial.medianMs / parallel.medianMs, 'x');
    recorder.target('rebuild: docker build loop / imagesum -j 2', loop.medianMs / parallel.medianMs, 'x');
  } finally {
    writeFileSync(script, original);
  }
}

function engineSections(recorder: Recorder, options: Options): void {
  // NOTE: the engine tree has no RUN steps, because the dockerd these numbers were taken on had no docker0
  // bridge, so every build container failed to start. Its builds only copy files and set metadata.
  const tree = generateTree(path.join(options.work, 'engine-50'), { images: 50, runSteps: false });
  progress(`engine tree: ${tree.images.length} images, ${tree.files} files, ${(tree.bytes / 2 ** 20).toFixed(1)} MiB`);
  importBusybox();
  dropCaches();

  if (options.sections.has('noop')) {
    recorder.section('noop (buildkit)', () => noopCheck(recorder, options, tree, 'buildkit'));
  }
  if (options.sections.has('rebuild')) {
    recorder.section('rebuild', () => {
      if (!options.sections.has('noop')) {
        run(imagesum('-C', tree.root, 'build', '-j', '2', '--progress', 'plain', '--offline'), { env: engineEnv() });
      }
      rebuild(recorder, options, tree);
    });
  }
  if (options.sections.has('noop')) {
    recorder.section('noop (classic)', () => noopCheck(recorder, options, tree, 'classic'));
  }
}

function machine(): Report['machine'] {
  const cpus = os.cpus();
  let engine = 'not used';
  try {
    engine = engineVersion();
  } catch {
    engine = 'not responding';
  }
  return {
    date: new Date().toISOString(),
    cores: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    kernel: os.release(),
    engine: `dockerd ${engine}, client ${DOCKER}`,
  };
}

function main(): void {
  const options = readOptions();
  if (options === undefined) {
    return;
  }
  mkdirSync(options.work, { recursive: true });
  // Every imagesum run of the harness keeps its stat cache here, so a cold run can delete it.
  process.env['IMAGESUM_CACHE_DIR'] = path.join(options.work, 'cache');
  const recorder = new Recorder();
  const usesEngine = options.sections.has('noop') || options.sections.has('rebuild');

  try {
    if (options.sections.has('version')) {
      recorder.section('version', () => version(recorder, options));
    }
    if (options.sections.has('analysis')) {
      recorder.section('analysis', () => analysis(recorder, options));
    }
    if (options.sections.has('scaling')) {
      recorder.section('scaling', () => scaling(recorder, options));
    }
    if (usesEngine) {
      recorder.section('engine', () => engineSections(recorder, options));
    }
  } finally {
    if (usesEngine && !options.keepImages) {
      progress(`removed ${removeBenchImages()} benchmark images`);
    }
  }

  const report: Report = {
    machine: machine(),
    runs: options.runs,
    measurements: recorder.measurements,
    targets: recorder.targets,
    failures: recorder.failures,
  };
  mkdirSync(path.dirname(options.json), { recursive: true });
  writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderMarkdown(report);
  if (options.markdown !== undefined) {
    writeFileSync(options.markdown, markdown);
  }
  process.stdout.write(markdown);
  if (recorder.failures.length > 0) {
    process.exitCode = 1;
  }
}

main();
