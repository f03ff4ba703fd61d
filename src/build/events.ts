import type { Warning } from '../config/types.js';

/** What the build emits as it goes. Renderers in `report/` turn these into terminal output. */
export type BuildEvent =
  | { readonly type: 'warning'; readonly warning: Warning }
  | { readonly type: 'planned'; readonly builds: readonly PlannedBuild[]; readonly builder: string }
  | { readonly type: 'started'; readonly name: string; readonly at: number }
  | { readonly type: 'succeeded'; readonly name: string; readonly seconds: number }
  | { readonly type: 'failed'; readonly name: string; readonly seconds: number; readonly reason: string; readonly logFile: string | undefined; readonly tail: readonly string[] }
  | { readonly type: 'skipped'; readonly name: string; readonly reason: string }
  | { readonly type: 'finished'; readonly summary: BuildSummary };

/** One image the build will rebuild, and why. */
export interface PlannedBuild {
  readonly name: string;
  readonly checksum: string;
  readonly reason: string;
  /** Images of this plan that must be built first. */
  readonly after: readonly string[];
  /** Selected with `--force`: built without the builder's cache, because the user asked for a real rebuild. */
  readonly forced: boolean;
}

export interface BuildSummary {
  readonly built: readonly string[];
  readonly fresh: readonly string[];
  readonly failed: readonly string[];
  /** Not built because a base failed, or because the run stopped early. */
  readonly skipped: readonly string[];
  readonly seconds: number;
  readonly interrupted: boolean;
  /** Set by `--dry-run`: the images a real run would build. */
  readonly dryRun: readonly string[] | undefined;
}

export interface BuildListener {
  emit(event: BuildEvent): void;
}
