import type { BuilderName } from './cases.js';

type AnalysisModule = typeof import('../src/analysis.js');

/** Computes imagesum's checksum of one image of a case folder. */
export type ChecksumFunction = (caseDir: string, builder: BuilderName, imageName: string) => string;

/**
 * Loads imagesum's library from the compiled `dist/src`. The import is dynamic so the oracle can run with
 * `--oracle-only` while `src/` does not compile; raises with the loader's message otherwise.
 */
export async function loadChecksumFunction(): Promise<ChecksumFunction> {
  const analysis: AnalysisModule = await import(new URL('../src/analysis.js', import.meta.url).href);
  return (caseDir, builder, imageName) => {
    const { checksums } = analysis.analyze({ cwd: caseDir, builder, statCache: false });
    const result = checksums.get(imageName) ?? checksums.get(`${imageName}:latest`);
    if (result === undefined) {
      throw new Error(`imagesum has no checksum for ${imageName}; it computed ${[...checksums.keys()].join(', ')}`);
    }
    return result.checksum;
  };
}
