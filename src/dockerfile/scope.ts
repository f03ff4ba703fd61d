import { ImagesumError } from '../errors.js';
import type { SourceLocation } from '../errors.js';
import { ExpansionError, expandWord } from './expand.js';
import type { ExpandResult, VariableLookup } from './expand.js';

/**
 * The variables an instruction can expand: ENV and ARG values of its stage, on top of the base's ENV. When the
 * base is an image outside the tree, its ENV is unknown, so every name the stage does not set is unknown too.
 */
export class VariableScope {
  constructor(
    private readonly values: Map<string, string>,
    readonly baseUnknown: boolean,
    /** Names set from a value that read an unknown variable, so their value is a guess too. */
    private readonly guessed = new Set<string>(),
  ) {}

  readonly lookup: VariableLookup = (name) => {
    const value = this.values.get(name);
    if (value !== undefined) {
      return this.guessed.has(name) ? { kind: 'unknown' } : { kind: 'set', value };
    }
    return this.baseUnknown ? { kind: 'unknown' } : { kind: 'unset' };
  };

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Sets a variable; `guessed` marks a value built from unknown variables. */
  set(name: string, value: string, guessed = false): void {
    this.values.set(name, value);
    if (guessed) {
      this.guessed.add(name);
    } else {
      this.guessed.delete(name);
    }
  }

  clone(): VariableScope {
    return new VariableScope(new Map(this.values), this.baseUnknown, new Set(this.guessed));
  }

  toRecord(): Record<string, string> {
    return Object.fromEntries(this.values);
  }
}

/** Expands one word as BuildKit's `ProcessWord` does, turning a syntax error into a located error. */
export function expandAt(text: string, escape: string, scope: VariableScope, location: SourceLocation): ExpandResult {
  try {
    return expandWord(text, { escape, lookup: scope.lookup });
  } catch (error) {
    if (error instanceof ExpansionError) {
      throw new ImagesumError('dockerfile', `cannot expand ${JSON.stringify(text)}: ${error.message}`, location);
    }
    throw error;
  }
}
