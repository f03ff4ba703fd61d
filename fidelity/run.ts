/**
 * The fidelity suite: builds each case's tree before and after its edit with the real builders, compares
 * the two images, and checks that imagesum's checksum changed whenever the image did.
 *
 *   node dist/fidelity/run.js [--filter TEXT]... [--builder buildkit|classic] [--jobs 1|2]
 *                             [--report FILE] [--keep] [--oracle-only]
 *
 * Exits 1 when any case is falsely fresh, fails unexpectedly or contradicts its expected checksum.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { BUILDERS, loadCases, type BuilderName, type FidelityCase } from './cases.js';
import { Engine } from './engine.js';
import { loadChecksumFunction, type ChecksumFunction } from './imagesum.js';
import { printDetails, printTable, summarize } from './report.js';
import { CaseRunner, type CaseResult } from './runner.js';

const sourceRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAX_JOBS = 2;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      filter: { type: 'string', multiple: true, default: [] },
      builder: { type: 'string' },
      jobs: { type: 'string', default: String(MAX_JOBS) },
      report: { type: 'string', default: path.join(sourceRoot, 'fidelity', 'report.json') },
      keep: { type: 'boolean', default: false },
      'oracle-only': { type: 'boolean', default: false },
    },
  });
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_JOBS) {
    console.error(`fidelity: --jobs must be 1 or ${MAX_JOBS}, not '${values.jobs}'`);
    return 2;
  }
  if (values.builder !== undefined && !BUILDERS.includes(values.builder as BuilderName)) {
    console.error(`fidelity: --builder must be buildkit or classic, not '${values.builder}'`);
    return 2;
  }
  const builders = values.builder === undefined ? BUILDERS : [values.builder as BuilderName];

  const started = Date.now();
  const cases = loadCases(path.join(sourceRoot, 'fidelity', 'cases')).filter(
    (fidelityCase) => values.filter.length === 0 || values.filter.some((text) => fidelityCase.id.includes(text)),
  );
  if (cases.length === 0) {
    console.error(`fidelity: no case matches --filter ${values.filter.join(', ')}`);
    return 2;
  }

  let checksum: ChecksumFunction | undefined;
  if (!values['oracle-only']) {
    try {
      checksum = await loadChecksumFunction();
    } catch (error) {
      console.error(`fidelity: cannot load imagesum from dist/src: ${String(error)}`);
      console.error('fidelity: compile with `npx tsc -p .`, or pass --oracle-only to check the builds alone');
      return 2;
    }
  }

  const engine = new Engine();
  const workDir = mkdtempSync(path.join(tmpdir(), 'imagesum-fidelity-'));
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    console.error(`fidelity: ${signal} received; removing the images this run created`);
    void engine.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  let results: CaseResult[];
  try {
    await engine.ensureBase();
    const runId = `r${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
    const runner = new CaseRunner(engine, checksum, workDir, builders, runId);
    console.log(`fidelity: ${cases.length} cases, ${jobs} at a time, builders ${builders.join(' and ')}`);
    let finished = 0;
    const runAndReport = async (fidelityCase: FidelityCase): Promise<CaseResult[]> => {
      const caseResults = await runner.run(fidelityCase);
      finished += 1;
      const verdicts = caseResults.map((result) => `${result.builder} ${result.verdict}`).join(', ');
      console.log(`[${finished}/${cases.length}] ${fidelityCase.id}: ${verdicts}`);
      return caseResults;
    };
    results = (await inParallel(cases, jobs, runAndReport)).flat();
  } finally {
    await engine.cleanup();
    if (!values.keep) {
      rmSync(workDir, { recursive: true, force: true });
    } else {
      console.log(`fidelity: case folders kept in ${workDir}`);
    }
  }

  const seconds = (Date.now() - started) / 1000;
  const summary = summarize(results);
  printDetails(results);
  printTable(summary);
  writeFileSync(
    values.report,
    JSON.stringify({ finishedAt: new Date().toISOString(), seconds, oracleOnly: checksum === undefined, summary, results }, null, 2),
  );
  console.log(`fidelity: report written to ${values.report}; run time ${seconds.toFixed(0)} s`);
  console.log(`fidelity: ${summary.passed} passed, ${summary.failed} failed`);
  return summary.failed > 0 ? 1 : 0;
}

/** Runs `work` on every item with at most `limit` running at once, keeping the input order in the result. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`fidelity: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);

