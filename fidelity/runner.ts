import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { CASE_PLACEHOLDER, type BuilderName, type CaseState, type FidelityCase, type ImageOutcome } from './cases.js';
import { describeDifference, type Engine, type ImageState } from './engine.js';
import type { ChecksumFunction } from './imagesum.js';
import { resolvedImage, stateKey, substitute, writeState } from './tree.js';

/**
 * The result of one case with one builder:
 * - `agree`: the checksum changed exactly when the image did;
 * - `false-fresh`: the image changed but the checksum did not, so imagesum would skip a needed rebuild;
 * - `needless-rebuild`: the checksum changed but the image did not;
 * - `known-mismatch`: a false fresh, or an error from imagesum, that the case explains;
 * - `nondeterministic`: a disagreement either way in a case whose build depends on more than its tree;
 * - `consistent`: a case that no builder here builds, whose checksum changed as `expectChecksum` expects.
 *   Otherwise such a case gets `false-fresh` or `needless-rebuild`, as a built case does;
 * - `oracle-only`: imagesum was not consulted (`--oracle-only`);
 * - `error`: a build failed unexpectedly, or imagesum raised.
 */
export type Verdict =
  | 'agree'
  | 'false-fresh'
  | 'needless-rebuild'
  | 'known-mismatch'
  | 'nondeterministic'
  | 'consistent'
  | 'oracle-only'
  | 'error';

export const FAILING_VERDICTS: ReadonlySet<Verdict> = new Set(['false-fresh', 'error']);

export interface CaseResult {
  readonly id: string;
  readonly category: string;
  readonly builder: BuilderName;
  /** False for cases that no builder here can build. */
  readonly built: boolean;
  readonly verdict: Verdict;
  readonly imagesDiffer: boolean | null;
  readonly checksumChanged: boolean | null;
  readonly checksumBefore: string | null;
  readonly checksumAfter: string | null;
  readonly difference: readonly string[];
  /** The case's `expect` for this builder, when it differs from what the builds showed. */
  readonly unexpectedOracle: ImageOutcome | null;
  readonly note: string | null;
}

const OUTPUT_TAIL_LINES = 12;

/** Runs cases, sharing the builds of equal trees between cases of one run. */
export class CaseRunner {
  private readonly builds = new Map<string, Promise<ImageState>>();

  constructor(
    private readonly engine: Engine,
    private readonly checksum: ChecksumFunction | undefined,
    private readonly workDir: string,
    private readonly builders: readonly BuilderName[],
    private readonly runId: string,
  ) {}

  async run(fidelityCase: FidelityCase): Promise<CaseResult[]> {
    const caseTag = `${this.runId}-${fidelityCase.id}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const caseDir = path.join(this.workDir, caseTag);
    mkdirSync(caseDir, { recursive: true });

    const results: CaseResult[] = [];
    if (fidelityCase.builders.length === 0) {
      for (const builder of this.builders.filter((name) => fidelityCase.expectChecksum[name] !== undefined)) {
        results.push(this.checkConsistency(fidelityCase, builder, caseDir, caseTag));
      }
      return results;
    }
    for (const builder of this.builders.filter((name) => fidelityCase.builders.includes(name))) {
      results.push(await this.compare(fidelityCase, builder, caseDir, caseTag));
    }
    return results;
  }

  private async compare(fidelityCase: FidelityCase, builder: BuilderName, caseDir: string, caseTag: string): Promise<CaseResult> {
    const base = { id: fidelityCase.id, category: fidelityCase.category, builder, built: true };
    const empty = { imagesDiffer: null, checksumChanged: null, checksumBefore: null, checksumAfter: null, difference: [], unexpectedOracle: null };

    writeState(fidelityCase.before, caseDir, caseTag);
    const checksumBefore = this.tryChecksum(fidelityCase, builder, caseDir, caseTag);
    const before = await this.buildOnce(fidelityCase, fidelityCase.before, builder, caseDir, caseTag);
    writeState(fidelityCase.after, caseDir, caseTag);
    const checksumAfter = this.tryChecksum(fidelityCase, builder, caseDir, caseTag);
    const after = await this.buildOnce(fidelityCase, fidelityCase.after, builder, caseDir, caseTag);

    const failure = unexpectedFailure(fidelityCase, builder, before, after);
    if (failure !== undefined) {
      return { ...base, ...empty, verdict: 'error', note: failure };
    }
    const imagesDiffer = before.ok !== after.ok || (before.ok && after.ok && before.digest !== after.digest);
    const difference = describeDifference(before, after);
    const expected = fidelityCase.expect[builder];
    const unexpectedOracle = expected !== undefined && expected !== (imagesDiffer ? 'differ' : 'same') ? expected : null;
    const outcome = { imagesDiffer, difference, unexpectedOracle };

    // imagesum rejecting a Dockerfile that the builder rejects too is agreement: both see no image.
    if (checksumBefore.error !== undefined && !before.ok) {
      checksumBefore.value = `rejected: ${checksumBefore.error}`;
      delete checksumBefore.error;
    }
    if (checksumAfter.error !== undefined && !after.ok) {
      checksumAfter.value = `rejected: ${checksumAfter.error}`;
      delete checksumAfter.error;
    }
    if (checksumBefore.error !== undefined || checksumAfter.error !== undefined) {
      const failure = `imagesum failed: ${checksumBefore.error ?? checksumAfter.error}`;
      const known = fidelityCase.knownMismatch[builder];
      const verdict = known === undefined ? 'error' : 'known-mismatch';
      const note = known === undefined ? failure : `${known}\n${failure}`;
      return { ...base, ...outcome, checksumChanged: null, checksumBefore: null, checksumAfter: null, verdict, note };
    }
    if (checksumBefore.value === undefined || checksumAfter.value === undefined) {
      return { ...base, ...outcome, checksumChanged: null, checksumBefore: null, checksumAfter: null, verdict: 'oracle-only', note: null };
    }

    const checksumChanged = checksumBefore.value !== checksumAfter.value;
    const checksums = { checksumChanged, checksumBefore: checksumBefore.value, checksumAfter: checksumAfter.value };
    const knownMismatch = fidelityCase.knownMismatch[builder];
    const nondeterministic = fidelityCase.nondeterministic[builder];
    if (imagesDiffer && !checksumChanged) {
      if (nondeterministic !== undefined) {
        return { ...base, ...outcome, ...checksums, verdict: 'nondeterministic', note: nondeterministic };
      }
      if (knownMismatch !== undefined) {
        return { ...base, ...outcome, ...checksums, verdict: 'known-mismatch', note: knownMismatch };
      }
      return { ...base, ...outcome, ...checksums, verdict: 'false-fresh', note: null };
    }
    if (!imagesDiffer && checksumChanged) {
      if (nondeterministic !== undefined) {
        return { ...base, ...outcome, ...checksums, verdict: 'nondeterministic', note: nondeterministic };
      }
      return { ...base, ...outcome, ...checksums, verdict: 'needless-rebuild', note: knownMismatch ?? null };
    }
    const note = knownMismatch === undefined ? null : `marked knownMismatch but agrees now: ${knownMismatch}`;
    return { ...base, ...outcome, ...checksums, verdict: 'agree', note };
  }

  private checkConsistency(fidelityCase: FidelityCase, builder: BuilderName, caseDir: string, caseTag: string): CaseResult {
    const base = { id: fidelityCase.id, category: fidelityCase.category, builder, built: false, imagesDiffer: null, difference: [], unexpectedOracle: null };
    writeState(fidelityCase.before, caseDir, caseTag);
    const before = this.tryChecksum(fidelityCase, builder, caseDir, caseTag);
    writeState(fidelityCase.after, caseDir, caseTag);
    const after = this.tryChecksum(fidelityCase, builder, caseDir, caseTag);
    if (before.error !== undefined || after.error !== undefined) {
      const note = `imagesum failed: ${before.error ?? after.error}`;
      return { ...base, checksumChanged: null, checksumBefore: null, checksumAfter: null, verdict: 'error', note };
    }
    if (before.value === undefined || after.value === undefined) {
      return { ...base, checksumChanged: null, checksumBefore: null, checksumAfter: null, verdict: 'oracle-only', note: null };
    }
    const checksumChanged = before.value !== after.value;
    const expected = fidelityCase.expectChecksum[builder];
    let verdict: Verdict = 'consistent';
    if (expected === 'changed' && !checksumChanged) {
      verdict = fidelityCase.knownMismatch[builder] === undefined ? 'false-fresh' : 'known-mismatch';
    } else if (expected === 'unchanged' && checksumChanged) {
      verdict = 'needless-rebuild';
    }
    const note = verdict === 'consistent' ? null : (fidelityCase.knownMismatch[builder] ?? `expected the checksum to be ${expected}`);
    return { ...base, checksumChanged, checksumBefore: before.value, checksumAfter: after.value, verdict, note };
  }

  private tryChecksum(
    fidelityCase: FidelityCase,
    builder: BuilderName,
    caseDir: string,
    caseTag: string,
  ): { value?: string; error?: string } {
    if (this.checksum === undefined) {
      return {};
    }
    try {
      return { value: this.checksum(caseDir, builder, substitute(fidelityCase.check, caseTag)) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * Builds every image of the state in the listed order and snapshots the checked one. A state equal to one
   * built earlier in this run reuses that result, because its images have the same content.
   */
  private buildOnce(fidelityCase: FidelityCase, state: CaseState, builder: BuilderName, caseDir: string, caseTag: string): Promise<ImageState> {
    // A state that names its own case (the placeholder) builds different bytes per case, for example when
    // `COPY .` copies a Dockerfile that contains the case's image names, so it is shared only within a case.
    const perCase = JSON.stringify([...state.tree, state.images]).includes(CASE_PLACEHOLDER) ? caseTag : '';
    const key = `${builder}:${stateKey(state)}:${fidelityCase.check}:${fidelityCase.cache}:${perCase}`;
    let build = this.builds.get(key);
    if (build === undefined) {
      build = this.buildState(fidelityCase, state, builder, caseDir, caseTag);
      this.builds.set(key, build);
    }
    return build;
  }

  private async buildState(fidelityCase: FidelityCase, state: CaseState, builder: BuilderName, caseDir: string, caseTag: string): Promise<ImageState> {
    for (const image of state.images) {
      const resolved = resolvedImage(image, caseDir, caseTag);
      const result = await this.engine.build(resolved, builder, !fidelityCase.cache);
      if (!result.ok) {
        const tail = result.output.trimEnd().split('\n').slice(-OUTPUT_TAIL_LINES).join('\n');
        return { ok: false, error: `docker build of ${resolved.name} failed:\n${tail}` };
      }
    }
    return this.engine.snapshot(substitute(fidelityCase.check, caseTag));
  }
}

/** Describes a build failure the case does not declare with `buildFails`, or returns undefined. */
function unexpectedFailure(fidelityCase: FidelityCase, builder: BuilderName, before: ImageState, after: ImageState): string | undefined {
  const declared = fidelityCase.buildFails[builder];
  const beforeShouldFail = declared === 'before' || declared === 'both';
  const afterShouldFail = declared === 'after' || declared === 'both';
  if (!before.ok && !beforeShouldFail) {
    return `the build before the edit failed: ${before.error}`;
  }
  if (!after.ok && !afterShouldFail) {
    return `the build after the edit failed: ${after.error}`;
  }
  if (before.ok && beforeShouldFail) {
    return 'the build before the edit succeeded, but the case declares it fails';
  }
  if (after.ok && afterShouldFail) {
    return 'the build after the edit succeeded, but the case declares it fails';
  }
  return undefined;
}
