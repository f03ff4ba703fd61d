import { createHash } from 'node:crypto';

/** One entry of an image's file system as `docker export` writes it, without timestamps. */
export interface FileSystemEntry {
  readonly path: string;
  /** `file`, `directory`, `symlink`, `hardlink` or `other:<typeflag>`. */
  readonly type: string;
  /** Permission bits including setuid, setgid and sticky. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** SHA-256 of a regular file's content; empty for other types. */
  readonly sha256: string;
  /** Target of a symlink or hard link; empty for other types. */
  readonly link: string;
}

const BLOCK = 512;

/**
 * Lists the entries of a tar archive, keyed by path without a leading `./` or `/` and without a trailing
 * `/`. Reads ustar headers, GNU long names (`L`, `K`) and PAX records (`x`) for `path` and `linkpath`,
 * which is what Go's archive/tar (used by `docker export`) writes. Raises on a truncated archive.
 */
export function listTar(archive: Buffer): Map<string, FileSystemEntry> {
  const entries = new Map<string, FileSystemEntry>();
  let offset = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};

  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) {
      break;
    }
    const size = readNumber(header, 124, 12);
    const typeflag = String.fromCharCode(header[156] ?? 0);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > archive.length) {
      throw new Error(`tar archive is truncated: entry at byte ${offset} needs ${size} bytes of data`);
    }
    const data = archive.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (typeflag === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (typeflag === 'K') {
      longLink = readString(data, 0, data.length);
      continue;
    }
    if (typeflag === 'x') {
      pax = parsePax(data);
      continue;
    }
    if (typeflag === 'g') {
      continue;
    }

    const records = pax;
    const name = records['path'] ?? longName ?? ustarName(header);
    const link = records['linkpath'] ?? longLink ?? readString(header, 157, 100);
    longName = undefined;
    longLink = undefined;
    pax = {};

    const path = normalizePath(name);
    if (path === '') {
      continue;
    }
    const type = entryType(typeflag);
    entries.set(path, {
      path,
      type,
      mode: readNumber(header, 100, 8) & 0o7777,
      uid: Number(records['uid'] ?? readNumber(header, 108, 8)),
      gid: Number(records['gid'] ?? readNumber(header, 116, 8)),
      sha256: type === 'file' ? createHash('sha256').update(data).digest('hex') : '',
      link: type === 'symlink' || type === 'hardlink' ? link : '',
    });
  }
  return entries;
}

function entryType(typeflag: string): string {
  switch (typeflag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'directory';
    default:
      return `other:${typeflag}`;
  }
}

function ustarName(header: Buffer): string {
  const name = readString(header, 0, 100);
  const magic = readString(header, 257, 6);
  const prefix = magic.startsWith('ustar') ? readString(header, 345, 155) : '';
  return prefix === '' ? name : `${prefix}/${name}`;
}

function normalizePath(name: string): string {
  return name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
}

function readString(buffer: Buffer, start: number, length: number): string {
  const field = buffer.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/** Reads an octal field, or a base-256 field when the first byte has its high bit set (GNU and Go). */
function readNumber(buffer: Buffer, start: number, length: number): number {
  const first = buffer[start] ?? 0;
  if ((first & 0x80) !== 0) {
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) {
      value = value * 256 + (buffer[i] ?? 0);
    }
    return value;
  }
  const text = readString(buffer, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Parses PAX extended header records of the form `<length> <key>=<value>\n`. */
function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) {
      break;
    }
    const length = parseInt(data.subarray(offset, space).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0) {
      break;
    }
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals !== -1) {
      records[record.slice(0, equals)] = record.slice(equals + 1);
    }
    offset += length;
  }
  return records;
}
