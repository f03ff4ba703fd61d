/**
 * `RUN --mount=…` values as BuildKit reads them (frontend/dockerfile/instructions/commands_runmount.go): one CSV
 * record of `key=value` fields, keys case-insensitive, type `bind` unless given.
 */

/** A mount field problem; the caller adds the location. */
export class MountError extends Error {}

export interface MountSpec {
  /** The `type` value as written, unexpanded; `undefined` means bind. */
  readonly type: string | undefined;
  /** The `from` value; BuildKit rejects variables in it. */
  readonly from: string | undefined;
  /** The `source`/`src` value as written, unexpanded. */
  readonly source: string | undefined;
}

const FLAG_ONLY_KEYS = new Set(['readonly', 'ro', 'readwrite', 'rw', 'required']);

const KNOWN_KEYS = new Set([
  'type',
  'from',
  'source',
  'src',
  'target',
  'dst',
  'destination',
  'readonly',
  'ro',
  'readwrite',
  'rw',
  'id',
  'sharing',
  'required',
  'mode',
  'uid',
  'gid',
  'env',
]);

export const MOUNT_TYPES = new Set(['bind', 'cache', 'tmpfs', 'secret', 'ssh']);

export function parseMount(value: string): MountSpec {
  let type: string | undefined;
  let from: string | undefined;
  let source: string | undefined;

  for (const field of parseCsvRecord(value)) {
    const index = field.indexOf('=');
    const key = (index < 0 ? field : field.slice(0, index)).toLowerCase();

    if (index < 0) {
      if (FLAG_ONLY_KEYS.has(key)) {
        continue;
      }
      throw new MountError(`invalid mount field "${field}": write it as key=value`);
    }
    if (!KNOWN_KEYS.has(key)) {
      throw new MountError(`unknown mount option "${key}" in "${field}": check the spelling`);
    }

    const fieldValue = field.slice(index + 1);
    if (key === 'type') {
      type = fieldValue;
    } else if (key === 'from') {
      from = checkFrom(fieldValue);
    } else if (key === 'source' || key === 'src') {
      source = fieldValue;
    }
  }

  return { type, from, source };
}

function checkFrom(value: string): string {
  // BuildKit resolves `from` before variables are known, so it rejects any `$` followed by a character.
  if (/\$[^\n]/.test(value)) {
    throw new MountError(`mount option from=${value} cannot use variables: define a stage with FROM and name it`);
  }
  return value;
}

/** Reads one record as Go's encoding/csv does: `"` quotes a whole field and `""` inside it is one `"`. */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let position = 0;

  for (;;) {
    const { field, end } = text[position] === '"' ? readQuotedField(text, position) : readPlainField(text, position);
    fields.push(field);

    if (end >= text.length) {
      return fields;
    }
    position = end + 1;
  }
}

function readPlainField(text: string, start: number): { field: string; end: number } {
  const comma = text.indexOf(',', start);
  const end = comma < 0 ? text.length : comma;
  const field = text.slice(start, end);

  if (field.includes('"')) {
    throw new MountError(`invalid mount value "${text}": a quote may only start a field`);
  }
  return { field, end };
}

function readQuotedField(text: string, start: number): { field: string; end: number } {
  let field = '';

  for (let position = start + 1; position < text.length; position++) {
    const ch = text[position];
    if (ch !== '"') {
      field += ch;
      continue;
    }
    if (text[position + 1] === '"') {
      field += '"';
      position++;
      continue;
    }
    if (position + 1 < text.length && text[position + 1] !== ',') {
      throw new MountError(`invalid mount value "${text}": text follows a closing quote`);
    }
    return { field, end: position + 1 };
  }

  throw new MountError(`invalid mount value "${text}": a quoted field is not closed`);
}
