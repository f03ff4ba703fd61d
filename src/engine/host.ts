import { ImagesumError } from '../errors.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** Address of the Docker engine: a unix socket path, or a TCP host and port without TLS. */
export type EngineEndpoint =
  | { readonly kind: 'unix'; readonly url: string; readonly socketPath: string }
  | { readonly kind: 'tcp'; readonly url: string; readonly hostname: string; readonly port: number };

/**
 * Parses a DOCKER_HOST value (`unix:///path` or `tcp://host:port`). Raises ImagesumError('engine') for other
 * schemes, which this client does not speak.
 */
// NOTE: TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), ssh:// hosts and `docker context` endpoints are not
// supported. Set DOCKER_HOST to a unix socket or a plain TCP address.
export function parseDockerHost(host: string): EngineEndpoint {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (socketPath === '') {
      throw new ImagesumError('engine', `invalid Docker host ${JSON.stringify(host)}: the socket path is missing`);
    }
    return { kind: 'unix', url: host, socketPath };
  }

  if (host.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(`http://${host.slice('tcp://'.length)}`);
    } catch {
      throw new ImagesumError('engine', `invalid Docker host ${JSON.stringify(host)}: expected tcp://HOST:PORT`);
    }
    if (url.port === '' || (url.pathname !== '/' && url.pathname !== '')) {
      throw new ImagesumError('engine', `invalid Docker host ${JSON.stringify(host)}: expected tcp://HOST:PORT`);
    }
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { kind: 'tcp', url: host, hostname, port: Number(url.port) };
  }

  throw new ImagesumError(
    'engine',
    `unsupported Docker host ${JSON.stringify(host)}: imagesum connects only to unix:///PATH or tcp://HOST:PORT; ` +
      'set DOCKER_HOST to one of these',
  );
}
