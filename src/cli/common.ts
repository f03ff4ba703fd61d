import type { BuilderKind } from '../dockerfile/types.js';
import { oneOf } from './args.js';

const BUILDERS: readonly BuilderKind[] = ['buildkit', 'classic'];

/** Reads `--builder`; `undefined` leaves the choice to the config. */
export function builderOption(value: string | undefined): BuilderKind | undefined {
  return value === undefined ? undefined : oneOf('--builder', value, BUILDERS, 'buildkit');
}
