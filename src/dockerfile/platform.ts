/**
 * Platform strings (`os/arch[/variant]`) and the automatic platform ARGs BuildKit defines for every build
 * (BUILDPLATFORM, TARGETARCH and the rest), normalized the way containerd's `platforms` package does.
 */

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant: string;
}

/** A platform string that cannot be read; the caller adds the context. */
export class PlatformError extends Error {}

/** Parses `os/arch[/variant]` and normalizes aliases such as `x86_64` and `aarch64`. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === '')) {
    throw new PlatformError(`invalid platform "${text}": write it as os/arch or os/arch/variant, such as linux/amd64`);
  }

  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return { os, ...normalizeArchitecture(architecture, variant ?? '') };
}

function normalizeArchitecture(architecture: string, variant: string): { architecture: string; variant: string } {
  switch (architecture) {
    case 'i386':
      return { architecture: '386', variant: '' };
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return { architecture: 'amd64', variant: variant === 'v1' ? '' : variant };
    case 'aarch64':
    case 'arm64':
      return { architecture: 'arm64', variant: variant === '8' || variant === 'v8' ? '' : variant };
    case 'armhf':
      return { architecture: 'arm', variant: 'v7' };
    case 'armel':
      return { architecture: 'arm', variant: 'v6' };
    case 'arm':
      return { architecture: 'arm', variant: normalizeArmVariant(variant) };
    default:
      return { architecture, variant };
  }
}

function normalizeArmVariant(variant: string): string {
  if (variant === '') {
    return 'v7';
  }
  return /^[5-8]$/.test(variant) ? `v${variant}` : variant;
}

export function formatPlatform(platform: Platform): string {
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant === '' ? base : `${base}/${platform.variant}`;
}

/**
 * Returns the ARGs BuildKit defines before the first FROM, for the given build and target platforms and target stage
 * name. A build arg with the same name replaces the automatic value, as in BuildKit.
 */
export function automaticArgs(
  buildPlatform: Platform,
  targetPlatform: Platform,
  targetStage: string,
  buildArgs: Readonly<Record<string, string>>,
): Map<string, string> {
  const entries: [string, string][] = [
    ['BUILDPLATFORM', formatPlatform(buildPlatform)],
    ['BUILDOS', buildPlatform.os],
    ['BUILDOSVERSION', ''],
    ['BUILDARCH', buildPlatform.architecture],
    ['BUILDVARIANT', buildPlatform.variant],
    ['TARGETPLATFORM', formatPlatform(targetPlatform)],
    ['TARGETOS', targetPlatform.os],
    ['TARGETOSVERSION', ''],
    ['TARGETARCH', targetPlatform.architecture],
    ['TARGETVARIANT', targetPlatform.variant],
    ['TARGETSTAGE', targetStage],
  ];

  const args = new Map<string, string>();
  for (const [name, value] of entries) {
    args.set(name, Object.hasOwn(buildArgs, name) ? (buildArgs[name] as string) : value);
  }
  return args;
}
