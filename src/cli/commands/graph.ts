import { analyze } from '../../analysis.js';
import { ImagesumError } from '../../errors.js';
import { formatGraph, GRAPH_FORMATS } from '../../report/graph.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { printWarnings } from '../output.js';
import { builderOption } from '../common.js';

const HELP = `Usage: imagesum graph [--format text|json|dot|mermaid]

Prints the images of the tree and the images each one builds on.
  --format FORMAT   text (default), json, dot (Graphviz) or mermaid
`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('graph', args, { format: { type: 'string' } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new ImagesumError('usage', `graph prints the whole tree and takes no image names, not ${positionals.join(' ')}; use 'imagesum hash IMAGE' for one image`);
  }

  const format = oneOf('--format', values.format, GRAPH_FORMATS, 'text');
  const analysis = await analyze({ cwd: values.directory ?? '.', configFile: values.config, builder: builderOption(values.builder) });
  printWarnings(analysis.warnings);
  process.stdout.write(formatGraph(analysis.graph, analysis.checksums, format));
  return 0;
}
