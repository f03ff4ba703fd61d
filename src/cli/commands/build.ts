import { availableParallelism, constants } from 'node:os';

import { buildImages } from '../../build/index.js';
import { createProgress, PROGRESS_MODES } from '../../report/progress.js';
import { oneOf, parseCommandArgs, positiveInteger } from '../args.js';
import { builderOption } from '../common.js';

const HELP = `Usage: imagesum build [IMAGE...] [options]

Builds the named images (all by default) and every stale image they build on, skipping fresh ones.
  -j, --jobs N          builds to run at once (default: the number of cores)
  --dry-run             print the plan and why each image is in it, build nothing
  --force               rebuild the named images even when they are fresh, without the build cache
  --keep-going          after a failure, go on with images that do not depend on it
  --progress MODE       auto (default), tty (live lines) or plain (one line per event)
  --engine NAME         docker (default) or podman
  --docker-client PATH  the client binary to build with (also IMAGESUM_DOCKER)
  --offline             never pull a missing external base image
`;

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Returns the shell's code for a process stopped by a signal: 128 plus the signal number. */
function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 2);
}

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
  // Every stop signal, repeated or not, goes through the abort, because dying on the default action would
  // leave running builds to tag images after imagesum has stopped checking them.
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    stoppedBy ??= signal;
    controller.abort();
  };
  for (const signal of STOP_SIGNALS) {
    process.on(signal, onSignal);
  }
  // A closed terminal makes writes fail with EIO or EPIPE; the builds must still be stopped and checked.
  const ignoreWriteError = (): void => {};
  process.stdout.on('error', ignoreWriteError);
  process.stderr.on('error', ignoreWriteError);

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

    if (summary.interrupted) {
      return exitCodeForSignal(stoppedBy ?? 'SIGINT');
    }
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    progress.close();
    for (const signal of STOP_SIGNALS) {
      process.off(signal, onSignal);
    }
  }
}
