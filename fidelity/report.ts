import { FAILING_VERDICTS, type CaseResult, type Verdict } from './runner.js';

export type { CaseResult };

/** Counts of verdicts for one category and builder; `built` is false for cases checked without a build. */
export interface TableRow {
  readonly category: string;
  readonly builder: string;
  readonly built: boolean;
  readonly counts: Readonly<Record<Verdict, number>>;
  readonly total: number;
}

export interface Summary {
  readonly rows: readonly TableRow[];
  readonly passed: number;
  readonly failed: number;
  readonly falseFresh: readonly string[];
  readonly needlessRebuilds: readonly string[];
}

const VERDICTS: readonly Verdict[] = [
  'agree',
  'false-fresh',
  'needless-rebuild',
  'known-mismatch',
  'nondeterministic',
  'consistent',
  'oracle-only',
  'error',
];

export function summarize(results: readonly CaseResult[]): Summary {
  const rows = new Map<string, { category: string; builder: string; built: boolean; counts: Record<Verdict, number>; total: number }>();
  for (const result of results) {
    const key = `${result.category}\0${result.builder}\0${result.built}`;
    let row = rows.get(key);
    if (row === undefined) {
      const counts = Object.fromEntries(VERDICTS.map((verdict) => [verdict, 0])) as Record<Verdict, number>;
      row = { category: result.category, builder: result.builder, built: result.built, counts, total: 0 };
      rows.set(key, row);
    }
    row.counts[result.verdict] += 1;
    row.total += 1;
  }
  const failed = results.filter((result) => FAILING_VERDICTS.has(result.verdict)).length;
  const label = (result: CaseResult): string => `${result.id} (${result.builder})`;
  return {
    rows: [...rows.values()].sort((a, b) => a.category.localeCompare(b.category) || a.builder.localeCompare(b.builder)),
    passed: results.length - failed,
    failed,
    falseFresh: results.filter((result) => result.verdict === 'false-fresh').map(label),
    needlessRebuilds: results.filter((result) => result.verdict === 'needless-rebuild').map(label),
  };
}

/** Prints one block per result that is not a plain agreement, with what differed. */
export function printDetails(results: readonly CaseResult[]): void {
  for (const result of results) {
    const plain = (result.verdict === 'agree' || result.verdict === 'consistent') && result.note === null && result.unexpectedOracle === null;
    if (plain || result.verdict === 'oracle-only') {
      continue;
    }
    const images = describeChange(result.imagesDiffer, 'not built', 'images differ', 'images equal');
    const checksum = describeChange(result.checksumChanged, 'no checksum', 'checksum changed', 'checksum unchanged');
    console.log(`\n${result.verdict.toUpperCase()} ${result.id} (${result.builder}): ${images}, ${checksum}`);
    if (result.unexpectedOracle !== null) {
      console.log(`  the case expects the images to be ${result.unexpectedOracle === 'same' ? 'equal' : 'different'}; check the case`);
    }
    if (result.note !== null) {
      console.log(`  ${result.note.split('\n').join('\n  ')}`);
    }
    for (const line of result.difference) {
      console.log(`  ${line}`);
    }
  }
  const plainOracle = results.filter((result) => result.verdict === 'oracle-only');
  for (const result of plainOracle.filter((item) => item.unexpectedOracle !== null)) {
    console.log(`\nUNEXPECTED ${result.id} (${result.builder}): the case expects the images to be ${result.unexpectedOracle}`);
    for (const line of result.difference) {
      console.log(`  ${line}`);
    }
  }
}

/** Prints the agreement table: one row per category and builder, and a total row. */
export function printTable(summary: Summary): void {
  const columns: [string, (row: TableRow) => string][] = [
    ['category', (row) => row.category],
    ['builder', (row) => (row.built ? row.builder : `${row.builder} (no build)`)],
    ['checks', (row) => String(row.total)],
    ['agree', (row) => String(row.counts.agree + row.counts.consistent)],
    ['false fresh', (row) => String(row.counts['false-fresh'])],
    ['needless', (row) => String(row.counts['needless-rebuild'])],
    ['known', (row) => String(row.counts['known-mismatch'])],
    ['nondet.', (row) => String(row.counts.nondeterministic)],
    ['no imagesum', (row) => String(row.counts['oracle-only'])],
    ['errors', (row) => String(row.counts.error)],
  ];
  const totalCounts = Object.fromEntries(
    VERDICTS.map((verdict) => [verdict, summary.rows.reduce((sum, row) => sum + row.counts[verdict], 0)]),
  ) as Record<Verdict, number>;
  const total: TableRow = {
    category: 'total',
    builder: '',
    built: true,
    counts: totalCounts,
    total: summary.rows.reduce((sum, row) => sum + row.total, 0),
  };
  const cells = [...summary.rows, total].map((row) => columns.map(([, cell]) => cell(row)));
  const header = columns.map(([name]) => name);
  const widths = header.map((name, index) => Math.max(name.length, ...cells.map((row) => row[index]!.length)));
  const line = (row: string[]): string => `| ${row.map((cell, index) => cell.padEnd(widths[index]!)).join(' | ')} |`;

  console.log('');
  console.log(line(header));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of cells) {
    console.log(line(row));
  }
  console.log('');
  for (const item of summary.falseFresh) {
    console.log(`false fresh: ${item}`);
  }
  for (const item of summary.needlessRebuilds) {
    console.log(`needless rebuild: ${item}`);
  }
}

function describeChange(changed: boolean | null, unknown: string, yes: string, no: string): string {
  if (changed === null) {
    return unknown;
  }
  return changed ? yes : no;
}
