import { analyze } from '../../analysis.js';
import { parseCommandArgs } from '../args.js';
import { builderOption } from '../common.js';
import { printWarnings } from '../output.js';
import { selectImages } from '../../build/select.js';

const HELP = `Usage: imagesum hash [IMAGE...] [--inputs]

Prints one line per image: its checksum and its name.
  --inputs   print the input manifest of each image as JSON instead
`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('hash', args, { inputs: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }

  const analysis = await analyze({ cwd: values.directory ?? '.', configFile: values.config, builder: builderOption(values.builder) });
  printWarnings(analysis.warnings);
  const names = selectImages(analysis.graph, positionals);

  if (values.inputs) {
    const manifests = names.map((name) => {
      const result = analysis.checksums.get(name)!;
      return { name, checksum: result.checksum, manifest: result.manifest };
    });
    process.stdout.write(`${JSON.stringify(manifests, null, 2)}\n`);
    return 0;
  }

  const lines = names.map((name) => `${analysis.checksums.get(name)!.checksum}  ${name}\n`);
  process.stdout.write(lines.join(''));
  return 0;
}
