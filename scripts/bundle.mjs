// Bundles the command into dist/bin/, one file per command plus shared chunks. Loading a few bundled files
// is about 100 ms faster than loading the compiled modules one by one (measured for `imagesum status` on
// 50 images, 2 cores, Node 20), and `--version` loads no command at all.
import { rmSync } from 'node:fs';

import { build } from 'esbuild';

// Chunk names carry content hashes, so chunks of an earlier build would pile up beside the new ones.
rmSync('dist/bin', { recursive: true, force: true });

await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist/bin',
  logLevel: 'warning',
  // The yaml package is CommonJS and calls require(); an ES module bundle has no require of its own.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
});
