#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';

import { ImagesumError } from '../errors.js';
import { splitCommand } from './args.js';

/**
 * The `imagesum` command. It loads only what the chosen command needs, because `--version` and `--help` must
 * return within a few tens of milliseconds.
 */

const USAGE = `Usage: imagesum [-C DIR] [--config FILE] [--builder buildkit|classic] COMMAND [options]

Commands:
  graph    print the images and how they depend on each other (--format text|json|dot|mermaid)
  hash     print each image's checksum (--inputs prints what it was computed from)
  status   tell which images are fresh, stale or missing in the engine (--json, --check)
  build    build the stale images in dependency order (-j N, --dry-run, --force, --keep-going)

Options:
  -C DIR            run as if started in DIR
  --config FILE     read FILE instead of imagesum.yaml
  --builder KIND    the builder that will build the images: buildkit (default) or classic
  -h, --help        print help for a command
  --version         print the version

Exit codes: 0 success, 1 stale images found by --check or a failed build, 2 usage, config or Dockerfile
errors, 3 the engine or a registry failed, 128+N stopped by signal N.
`;

type CommandModule = { run(args: string[]): Promise<number> };

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  graph: () => import('./commands/graph.js'),
  hash: () => import('./commands/hash.js'),
  status: () => import('./commands/status.js'),
  build: () => import('./commands/build.js'),
};

/**
 * Puts NODE_EXTRA_CA_CERTS back where the command's launcher line moved it aside (see scripts/bundle.mjs), so
 * that the builders imagesum starts see the environment the user set. Node has read its certificates at
 * start-up already, so this process still runs without them; it makes no TLS connection. Code that opens one
 * must load the file named here itself.
 */
function restoreExtraCertificates(): void {
  const moved = process.env['IMAGESUM_NODE_EXTRA_CA_CERTS'];
  if (moved !== undefined) {
    process.env['NODE_EXTRA_CA_CERTS'] = moved;
    delete process.env['IMAGESUM_NODE_EXTRA_CA_CERTS'];
  }
}

async function main(argv: string[]): Promise<number> {
  restoreExtraCertificates();
  if (argv.includes('--version')) {
    process.stdout.write(`${readVersion()}\n`);
    return 0;
  }

  const { command, rest } = splitCommand(argv);
  if (command === undefined) {
    const wantsHelp = argv.includes('--help') || argv.includes('-h');
    (wantsHelp ? process.stdout : process.stderr).write(USAGE);
    return wantsHelp ? 0 : 2;
  }

  const load = COMMANDS[command];
  if (load === undefined) {
    throw new ImagesumError('usage', `unknown command ${JSON.stringify(command)}; commands are ${Object.keys(COMMANDS).join(', ')}`);
  }
  return (await load()).run(rest);
}

/** Reads the version from package.json, two folders up from the source and three from the compiled file. */
function readVersion(): string {
  for (const relative of ['../../../package.json', '../../package.json']) {
    const manifest = new URL(relative, import.meta.url);
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'imagesum' && parsed.version !== undefined) {
        return parsed.version;
      }
    }
  }
  return 'unknown';
}

/**
 * Maps an error to the documented exit codes: 2 for what the user wrote, 3 when the engine or a registry
 * failed (so CI can tell that apart from the 1 of `status --check`), 1 for the rest.
 */
function exitCodeFor(error: ImagesumError): number {
  switch (error.kind) {
    case 'engine':
    case 'registry':
      return 3;
    case 'usage':
    case 'config':
    case 'dockerfile':
    case 'dockerignore':
    case 'reference':
    case 'context':
    case 'graph':
      return 2;
    default:
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ImagesumError) {
      process.stderr.write(`imagesum: ${error.message}\n`);
      process.exitCode = exitCodeFor(error);
      return;
    }
    process.stderr.write(`imagesum: internal error, please report it: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  },
);
