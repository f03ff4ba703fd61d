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
 * Kinds of failure a user or the environment can cause. The CLI exits with 2 for usage, config, dockerfile,
 * dockerignore, reference, context and graph errors, and with 1 for the rest.
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
