import { selectImages } from '../../build/select.js';
import { formatStatusTable } from '../../report/status.js';
import { analyzeAgainstEngine } from '../../status/session.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { builderOption } from '../common.js';
import { printWarnings } from '../output.js';

const HELP = `Usage: imagesum status [IMAGE...] [--json] [--check] [--offline]

Tells for each image whether the engine's image is fresh, stale or missing, and why.
  --json      print the rows as JSON
  --check     exit with 1 when any selected image is stale or missing
  --offline   never pull a missing external base image
  --engine    docker (default) or podman: podman also finds a name under its localhost/ prefix
`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('status', args, {
    json: { type: 'boolean' },
    check: { type: 'boolean' },
    offline: { type: 'boolean' },
    engine: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }

  const analysis = await analyzeAgainstEngine({
    cwd: values.directory ?? '.',
    configFile: values.config,
    builder: builderOption(values.builder),
    offline: values.offline ?? false,
    engineKind: oneOf('--engine', values.engine, ['docker', 'podman'] as const, 'docker'),
    onPull: (reference) => process.stderr.write(`pulling ${reference}\n`),
  });
  printWarnings(analysis.warnings);

  const rows = selectImages(analysis.graph, positionals).map((name) => analysis.statuses.get(name)!);
  process.stdout.write(values.json ? `${JSON.stringify({ images: rows }, null, 2)}\n` : formatStatusTable(rows));

  const stale = rows.some((row) => row.state !== 'fresh');
  return values.check && stale ? 1 : 0;
}
