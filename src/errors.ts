/**
 * A position in a user's file. Lines count from 1, as editors and `file:line` messages do.
 */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

/** Formats a location as `file:line`, the form editors and terminals turn into links. */
export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}`;
}

/**
 * What a user can get wrong, or what the outside world can break. The CLI maps each kind to an exit code:
 * usage, config, dockerfile and reference errors exit 2, the rest exit 1.
 */
export type ErrorKind =
  | 'usage'
  | 'config'
  | 'dockerfile'
  | 'dockerignore'
  | 'reference'
  | 'context'
  | 'graph'
  | 'engine'
  | 'build'
  | 'registry'
  | 'cache';

/**
 * An error caused by input or by the environment, never by a bug in imagesum. Its message is one line meant
 * for the user, already prefixed with `file:line` when a location is known. The CLI prints the message
 * without a stack trace. Anything else that escapes is an internal error.
 */
export class ImagesumError extends Error {
  readonly kind: ErrorKind;
  readonly location: SourceLocation | undefined;

  constructor(kind: ErrorKind, message: string, location?: SourceLocation) {
    super(location === undefined ? message : `${formatLocation(location)}: ${message}`);
    this.name = 'ImagesumError';
    this.kind = kind;
    this.location = location;
  }
}

/** Raises an internal error: a broken invariant inside imagesum, not something the user did. */
export function internalError(message: string): never {
  throw new Error(`internal error: ${message}`);
}

/** Ends an exhaustive switch: the compiler rejects a call whose argument is not `never`. */
export function assertNever(value: never): never {
  return internalError(`unexpected value ${JSON.stringify(value)}`);
}
