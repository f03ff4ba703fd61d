import { formatLocation } from '../errors.js';
import type { Warning } from '../config/types.js';

/** Prints warnings to stderr, one line each, with their location when known. */
export function printWarnings(warnings: readonly Warning[]): void {
  for (const warning of warnings) {
    const where = warning.location === undefined ? '' : `${formatLocation(warning.location)}: `;
    process.stderr.write(`imagesum: warning: ${where}${warning.message}\n`);
  }
}
