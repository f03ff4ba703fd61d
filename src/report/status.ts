import type { ImageStatus } from '../status/index.js';

/** Formats status rows as an aligned table: name, state, short checksum and reason. */
export function formatStatusTable(rows: readonly ImageStatus[]): string {
  const nameWidth = Math.max(5, ...rows.map((row) => row.name.length));
  const header = `${'IMAGE'.padEnd(nameWidth)}  STATE    CHECKSUM      REASON`;
  const lines = rows.map((row) => {
    const short = row.checksum.replace(/^sha256:/, '').slice(0, 12);
    return `${row.name.padEnd(nameWidth)}  ${row.state.padEnd(7)}  ${short}  ${row.reason}`;
  });
  return `${[header, ...lines].join('\n')}\n`;
}
