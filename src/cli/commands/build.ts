import { availableParallelism } from 'node:os';

import { buildImages } from '../../build/index.js';
import { createProgress, PROGRESS_MODES } from '../../report/progress.js';
import { oneOf, parseCommandArgs, positiveInteger } from '../args.js';
import { builderOption } from '../common.js';

const HELP = `Usage: imagesum build [IMAGE...] [options]

Builds the named images (all by default) and every stale image they build on, skipping fresh ones.
  -j, --jobs N          builds to run at once (default: the number of cores)
  --dry-run             print the plan and why each image is in it, build nothing
  --force               rebuild the named images even when they are fresh
  --keep-going          after a failure, go on with images that do not depend on it
  --progress MODE       auto (default), tty (live lines) or plain (one line per event)
  --engine NAME         docker (default) or podman
  --docker-client PATH  the client binary to build with (also IMAGESUM_DOCKER)
  --offline             never pull a missing external base image
`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('build', args, {
    jobs: { type: 'string', short: 'j' },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    'keep-going': { type: 'boolean' },
    progress: { type: 'string' },
    engine: { type: 'string' },
    'docker-client': { type: 'string' },
    offline: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }

  const progress = createProgress(oneOf('--progress', values.progress, PROGRESS_MODES, 'auto'));
  const engine = oneOf('--engine', values.engine, ['docker', 'podman'] as const, 'docker');
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const summary = await buildImages({
      cwd: values.directory ?? '.',
      configFile: values.config,
      builder: builderOption(values.builder),
      images: positionals,
      concurrency: positiveInteger('--jobs', values.jobs, availableParallelism()),
      force: values.force ?? false,
      dryRun: values['dry-run'] ?? false,
      policy: values['keep-going'] ? 'keep-going' : 'stop',
      offline: values.offline ?? false,
      client: values['docker-client'],
      engine,
      listener: progress,
      signal: controller.signal,
      onPull: (reference) => process.stderr.write(`pulling ${reference}\n`),
    });

    // 130 is the shell's code for a process stopped by SIGINT.
    if (summary.interrupted) {
      return 130;
    }
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    progress.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
