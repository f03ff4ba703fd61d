import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { stateFolder } from '../analysis.js';
import { ImagesumError } from '../errors.js';
import { inputParts } from '../checksum/parts.js';
import { detectBuilder, type BuilderChoice } from '../engine/index.js';
import { analyzeAgainstEngine, type EngineAnalysis, type EngineAnalyzeOptions } from '../status/session.js';
import { selectImages } from './select.js';
import type { BuildListener, BuildSummary, PlannedBuild } from './events.js';
import { planBuilds } from './plan.js';
import { runBuild } from './runner.js';
import { runSchedule, type FailurePolicy } from './scheduler.js';
import { CHECKSUM_LABEL } from '../status/labels.js';

export type { BuildEvent, BuildListener, BuildSummary, PlannedBuild } from './events.js';
export type { FailurePolicy } from './scheduler.js';

export interface BuildOptions extends EngineAnalyzeOptions {
  /** Image names from the command line; empty builds every image. */
  readonly images: readonly string[];
  readonly concurrency: number;
  readonly force: boolean;
  readonly dryRun: boolean;
  readonly policy: FailurePolicy;
  /** Client binary for builds; defaults to IMAGESUM_DOCKER, then to detection. */
  readonly client?: string | undefined;
  /** `podman` builds with `podman build`; the default builds with a docker client. */
  readonly engine?: 'docker' | 'podman' | undefined;
  readonly listener: BuildListener;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Builds the stale images among the selected ones and their bases, in dependency order. After the builds, it
 * computes the checksums again and removes any image whose inputs changed while it was being built, so no
 * image keeps a label it was not built from.
 */
export async function buildImages(options: BuildOptions): Promise<BuildSummary> {
  const startedAt = Date.now();
  const analysis = await analyzeAgainstEngine({ ...options, engineKind: options.engine });
  for (const warning of analysis.warnings) {
    options.listener.emit({ type: 'warning', warning });
  }
  const selected = selectImages(analysis.graph, options.images);
  const plan = planBuilds(analysis.graph, analysis.statuses, selected, { force: options.force });
  const fresh = selected.filter((name) => !plan.some((build) => build.name === name));

  // NOTE: with podman the checksum still assumes the configured builder's reading of `.dockerignore`;
  // buildah's handling of `<Containerfile>.containerignore` has not been compared with a real podman here.
  const builderKind = options.engine === 'podman' ? 'podman' : analysis.graph.builder;
  if (plan.length > 0 && !options.dryRun) {
    createLogFolder(analysis.project.root);
  }
  const builder = plan.length === 0 || options.dryRun ? undefined : await detectBuilder(builderKind, { client: options.client });
  options.listener.emit({ type: 'planned', builds: plan, builder: builder?.description ?? analysis.graph.builder });
  if (options.dryRun || builder === undefined) {
    const dryRun = options.dryRun ? plan.map((build) => build.name) : undefined;
    return finish(options, { built: [], fresh, failed: [], skipped: [], seconds: 0, interrupted: false, dryRun }, startedAt);
  }

  // A reused checksum computes its manifest when first read, and a failure must come before any build starts.
  const parts = new Map(plan.map((build) => [build.name, JSON.stringify(inputParts(analysis.checksums.get(build.name)!.manifest))]));
  const signal = options.signal ?? new AbortController().signal;
  const result = await runSchedule(plan, {
    concurrency: options.concurrency,
    policy: options.policy,
    listener: options.listener,
    signal,
    run: (task) => buildOne(analysis, plan.find((build) => build.name === task.name)!, parts.get(task.name)!, builder, options, signal),
  });

  const changed = await removeChangedImages(options, analysis, result.succeeded);
  const built = result.succeeded.filter((name) => !changed.includes(name));
  const summary: BuildSummary = {
    built,
    fresh,
    failed: [...result.failed, ...changed],
    skipped: result.skipped,
    seconds: 0,
    interrupted: signal.aborted,
    dryRun: undefined,
  };
  return finish(options, summary, startedAt);
}

/** Creates the folder for the build logs, so that a state folder that cannot be written fails before any build. */
function createLogFolder(root: string): void {
  const folder = path.join(stateFolder(root), 'logs');
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImagesumError('cache', `cannot create the build log folder ${folder}: ${reason}; set IMAGESUM_CACHE_DIR to a writable folder`);
  }
}

async function buildOne(
  analysis: EngineAnalysis,
  build: PlannedBuild,
  parts: string,
  builder: BuilderChoice,
  options: BuildOptions,
  signal: AbortSignal,
): Promise<boolean> {
  const startedAt = Date.now();
  const node = analysis.graph.images.get(build.name)!;
  const result = analysis.checksums.get(build.name)!;
  const logFile = path.join(stateFolder(analysis.project.root), 'logs', `${logFileName(build.name)}.log`);

  const outcome = await runBuild({
    spec: node.spec,
    checksum: result.checksum,
    parts,
    noCache: build.forced,
    builder,
    logFile,
    signal,
  });

  const seconds = (Date.now() - startedAt) / 1000;
  if (outcome.ok) {
    options.listener.emit({ type: 'succeeded', name: build.name, seconds });
  } else {
    options.listener.emit({ type: 'failed', name: build.name, seconds, reason: outcome.reason, logFile, tail: outcome.tail });
  }
  return outcome.ok;
}

/**
 * Computes the checksums again and removes each built image whose label no longer matches, because a file
 * or Dockerfile changed after its checksum was computed and the builder may have read the new content.
 */
async function removeChangedImages(options: BuildOptions, before: EngineAnalysis, built: readonly string[]): Promise<string[]> {
  if (built.length === 0) {
    return [];
  }

  let after: EngineAnalysis;
  try {
    after = await analyzeAgainstEngine({ ...options, engineKind: options.engine, offline: true });
  } catch {
    // The tree became unreadable mid-build, so no built label can be trusted.
    after = { ...before, checksums: new Map() };
  }

  const changed: string[] = [];
  for (const name of built) {
    const expected = before.checksums.get(name)?.checksum;
    if (after.checksums.get(name)?.checksum !== expected) {
      await before.engine.removeImage(name, true);
      changed.push(name);
      options.listener.emit({
        type: 'failed',
        name,
        seconds: 0,
        reason: `its inputs changed during the build, so the image labelled ${CHECKSUM_LABEL}=${expected} was removed; run imagesum build again`,
        logFile: undefined,
        tail: [],
      });
    }
  }
  return changed;
}

function finish(options: BuildOptions, summary: BuildSummary, startedAt: number): BuildSummary {
  const done = { ...summary, seconds: (Date.now() - startedAt) / 1000 };
  options.listener.emit({ type: 'finished', summary: done });
  return done;
}

/** Turns an image name into a file name: `/` and `:` would create folders or confuse some file systems. */
function logFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}
