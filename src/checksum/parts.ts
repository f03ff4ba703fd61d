import { canonicalJson, sha256Hex } from '../digest.js';
import type { InputManifest } from './manifest.js';

/**
 * Short digests of each kind of input, stored on the image next to its checksum, so that a later run can name
 * the kind of input that changed. They explain a mismatch, but only the full checksum decides freshness.
 */
export interface InputParts {
  /** Builder, target, platform, escape character and manifest version. */
  readonly settings: string;
  readonly instructions: string;
  readonly args: string;
  readonly context: string;
  /** Base images and images read with `--from`. */
  readonly images: string;
}

export const PART_NAMES = ['settings', 'instructions', 'args', 'context', 'images'] as const satisfies readonly (keyof InputParts)[];

export function inputParts(manifest: InputManifest): InputParts {
  const digest = (value: unknown): string => sha256Hex(canonicalJson(value)).slice(0, 16);
  const { stages } = manifest;

  return {
    settings: digest([manifest.version, manifest.builder, manifest.targetStage, manifest.platform, manifest.escape]),
    instructions: digest(stages.map((stage) => stage.instructions)),
    args: digest([manifest.proxyArgs, manifest.globalArgs, stages.map((stage) => stage.args)]),
    context: digest(stages.map((stage) => stage.contextReads)),
    images: digest(stages.map((stage) => [stage.base, stage.images])),
  };
}

/** Names the parts that differ between two records; an unreadable old record yields `undefined`. */
export function changedParts(current: InputParts, stored: string | undefined): string[] | undefined {
  if (stored === undefined) {
    return undefined;
  }

  let old: unknown;
  try {
    old = JSON.parse(stored);
  } catch {
    return undefined;
  }
  if (old === null || typeof old !== 'object') {
    return undefined;
  }

  const record = old as Record<string, unknown>;
  return PART_NAMES.filter((name) => record[name] !== current[name]);
}
