/**
 * Engine faults that a healthy engine never produces (invalid JSON, stream errors, hangs, a socket without
 * permission), tested against a small HTTP server on a unix socket in a temporary folder.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ImagesumError } from '../../src/errors.js';
import { createEngineClient, mapConnectionError, parseDockerHost, type PullProgress } from '../../src/engine/index.js';
import { analyzeAgainstEngine } from '../../src/status/session.js';
import { makeTree } from '../support/tree.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const SHA = 'sha256:' + 'ab'.repeat(32);

/** Routes by method and path without the query. */
const routes = new Map<string, Handler>();
const requestedUrls: string[] = [];

let folder = '';
let socketPath = '';
let server: Server;

function route(method: string, path: string, handler: Handler): void {
  routes.set(`${method} ${path}`, handler);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

function assertEngineError(error: unknown, message: string): true {
  assert.ok(error instanceof ImagesumError, String(error));
  assert.equal(error.kind, 'engine');
  assert.equal(error.message, message);
  return true;
}

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'imagesum-fake-engine-'));
  socketPath = join(folder, 'engine.sock');
  server = createServer((request, response) => {
    requestedUrls.push(`${request.method} ${request.url}`);
    const path = (request.url ?? '').split('?')[0] ?? '';
    const handler = routes.get(`${request.method} ${path}`);
    if (handler === undefined) {
      sendJson(response, 404, { message: `no route for ${path}` });
      return;
    }
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));

  route('GET', '/v1.41/images/json', (_request, response) => {
    response.writeHead(200);
    response.end('[{"Id": "sha256:1", "RepoTags": ["<none>:<none>"], "RepoDigests": null, "Labels": null}');
  });
  route('GET', '/v1.41/version', (_request, response) => sendJson(response, 500, { message: 'engine failure for the test' }));
  route('GET', '/v1.41/images/plain/json', (_request, response) => {
    response.writeHead(502);
    response.end('Bad Gateway\n');
  });
  route('GET', '/v1.41/images/shape/json', (_request, response) => sendJson(response, 200, { Config: null }));
  route('GET', '/v1.41/_ping', () => {
    // Never responds, so the client's timeout must end the request.
  });
  route('POST', '/v1.41/images/create', (request, response) => {
    const query = new URL(request.url ?? '', 'http://docker').searchParams;
    const image = query.get('fromImage');
    response.writeHead(200, { 'Content-Type': 'application/json' });
    if (image === 'example.test/fails') {
      response.write('{"status":"Pulling from fails","id":"1"}\r\n');
      response.end('{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\r\n');
    } else if (image === 'example.test/garbled') {
      response.end('{"status":"Pulling"}\n{oops\n');
    } else {
      // Messages are split across chunks to check that lines are reassembled.
      response.write('{"status":"Pulling fs layer","id":"a1"}\n{"status":"Downlo');
      response.write('ading","id":"a1","progress":"[=>  ]"}\n');
      response.end('{"status":"Status: Downloaded newer image"}');
    }
  });
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(folder, { recursive: true, force: true });
});

describe('engine client against a fake engine', () => {
  it('sends one filtered list request', async () => {
    requestedUrls.length = 0;
    const client = createEngineClient({ host: `unix://${socketPath}` });
    await assert.rejects(client.listImages('io.imagesum.checksum'));

    assert.equal(requestedUrls.length, 1);
    const url = new URL(requestedUrls[0]!.replace(/^GET /, ''), 'http://docker');
    assert.equal(url.pathname, '/v1.41/images/json');
    assert.equal(url.searchParams.get('filters'), '{"label":["io.imagesum.checksum"]}');
  });

  it('rejects invalid JSON', async () => {
    const client = createEngineClient({ host: `unix://${socketPath}` });
    // The text after the colon is JSON.parse's own message, which differs between Node versions.
    const prefix = `the Docker engine at unix://${socketPath} returned invalid JSON for GET /images/json: `;
    await assert.rejects(client.listAllImages(), (error) => {
      assert.ok(error instanceof ImagesumError);
      assert.equal(error.kind, 'engine');
      assert.ok(error.message.startsWith(prefix), error.message);
      assert.match(error.message, /position 87/);
      return true;
    });
  });

  it('quotes the engine message', async () => {
    const client = createEngineClient({ host: `unix://${socketPath}` });
    await assert.rejects(client.version(), (error) =>
      assertEngineError(
        error,
        `the Docker engine at unix://${socketPath} rejected GET /version with HTTP 500: engine failure for the test`,
      ),
    );
  });

  it('quotes a non-JSON error body', async () => {
    const client = createEngineClient({ host: `unix://${socketPath}` });
    await assert.rejects(client.inspectImage('plain'), (error) =>
      assertEngineError(
        error,
        `the Docker engine at unix://${socketPath} rejected GET /images/plain/json with HTTP 502: Bad Gateway`,
      ),
    );
  });

  it('rejects an image without Id', async () => {
    const client = createEngineClient({ host: `unix://${socketPath}` });
    await assert.rejects(client.inspectImage('shape'), (error) =>
      assertEngineError(
        error,
        `the Docker engine at unix://${socketPath} returned an unexpected response to GET /images/shape/json: ` +
          'an image has no Id',
      ),
    );
  });

  it('times out a silent engine', async () => {
    const client = createEngineClient({ host: `unix://${socketPath}`, timeoutMs: 200 });
    await assert.rejects(client.ping(), (error) =>
      assertEngineError(
        error,
        `the Docker engine at unix://${socketPath} did not respond to GET /_ping within 0.2 s; ` +
          'check that dockerd is healthy',
      ),
    );
  });

  it('reports pull stream errors', async () => {
    const client = createEngineClient({ host: `unix://${socketPath}` });
    const progress: PullProgress[] = [];
    await assert.rejects(
      client.pullImage('example.test/fails:1', { onProgress: (message) => progress.push(message) }),
      (error) =>
        assertEngineError(
          error,
          'pulling example.test/fails:1 failed: manifest unknown. ' +
            'Check the reference and that the Docker engine can reach its registry',
        ),
    );
    assert.deepEqual(progress, [{ status: 'Pulling from fails', id: '1', progress: undefined }]);
  });

  it('rejects a garbled pull stream', async () => {
    const client = createEngineClient({ host: `unix://${socketPath}` });
    await assert.rejects(client.pullImage('example.test/garbled'), (error) => {
      assert.ok(error instanceof ImagesumError);
      assert.equal(error.kind, 'engine');
      assert.match(error.message, /returned invalid JSON for POST \/images\/create: /);
      return true;
    });
  });

  it('streams pull progress', async () => {
    requestedUrls.length = 0;
    const client = createEngineClient({ host: `unix://${socketPath}` });
    const progress: PullProgress[] = [];
    await client.pullImage(`example.test/ok:2@${SHA}`, { onProgress: (message) => progress.push(message) });

    assert.deepEqual(progress, [
      { status: 'Pulling fs layer', id: 'a1', progress: undefined },
      { status: 'Downloading', id: 'a1', progress: '[=>  ]' },
      { status: 'Status: Downloaded newer image', id: undefined, progress: undefined },
    ]);
    const url = new URL(requestedUrls[0]!.replace(/^POST /, ''), 'http://docker');
    assert.equal(url.searchParams.get('fromImage'), 'example.test/ok');
    assert.equal(url.searchParams.get('tag'), SHA);
  });
});

describe('engine connection errors', () => {
  it('names a missing socket', async () => {
    const missing = join(folder, 'missing.sock');
    const client = createEngineClient({ host: `unix://${missing}` });
    await assert.rejects(client.ping(), (error) =>
      assertEngineError(
        error,
        `cannot reach the Docker engine at unix://${missing}: connect ENOENT ${missing}. ` +
          'Start dockerd or set DOCKER_HOST to its address',
      ),
    );
  });

  it('names a refused TCP port', async () => {
    // Port 1 on loopback has no listener on a test machine, so the kernel refuses the connection.
    const client = createEngineClient({ host: 'tcp://127.0.0.1:1' });
    await assert.rejects(client.ping(), (error) =>
      assertEngineError(
        error,
        'cannot reach the Docker engine at tcp://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1. ' +
          'Start dockerd or set DOCKER_HOST to its address',
      ),
    );
  });

  it('maps EACCES to a permission hint', () => {
    const error = Object.assign(new Error('connect EACCES /run/docker.sock'), { code: 'EACCES' });
    assertEngineError(
      mapConnectionError(parseDockerHost('unix:///run/docker.sock'), error),
      'permission denied on the Docker engine socket at unix:///run/docker.sock: connect EACCES /run/docker.sock. ' +
        'Add your user to the docker group (then log in again) or run imagesum with sudo',
    );
  });

  it('reports a socket without permission', async () => {
    // Root passes every permission check, so as root the client runs in a child process as user nobody.
    const guarded = join(folder, 'guarded');
    const guardedServer = createServer((_request, response) => response.end('OK'));
    await new Promise<void>((resolve) => guardedServer.listen(guarded, resolve));
    try {
      await chmod(folder, 0o755);
      await chmod(guarded, 0o600);
      const expected =
        `permission denied on the Docker engine socket at unix://${guarded}: connect EACCES ${guarded}. ` +
        'Add your user to the docker group (then log in again) or run imagesum with sudo';

      if (process.getuid?.() !== 0) {
        await chmod(guarded, 0o000);
        await assert.rejects(createEngineClient({ host: `unix://${guarded}` }).ping(), (error) =>
          assertEngineError(error, expected),
        );
        return;
      }
      const message = await pingAsNobody(`unix://${guarded}`);
      assert.equal(message, expected);
    } finally {
      await new Promise<void>((resolve) => guardedServer.close(() => resolve()));
    }
  });
});

describe('engine that accepts and never replies', () => {
  /** Starts a unix-socket server that reads requests and never replies. `hungUp` resolves when a client hangs up. */
  async function silentEngine(): Promise<{ host: string; hungUp: Promise<void>; close: () => Promise<void> }> {
    const silentPath = join(folder, `silent-${process.hrtime.bigint()}.sock`);
    let hangUp: () => void = () => undefined;
    const hungUp = new Promise<void>((resolve) => {
      hangUp = resolve;
    });
    const silent = createNetServer((socket) => {
      socket.resume();
      socket.on('close', () => hangUp());
    });
    await new Promise<void>((resolve) => silent.listen(silentPath, resolve));
    return { host: `unix://${silentPath}`, hungUp, close: () => new Promise<void>((resolve) => silent.close(() => resolve())) };
  }

  it('cancels a list request on abort', async () => {
    const engine = await silentEngine();
    try {
      const cancel = new AbortController();
      const listing = createEngineClient({ host: engine.host }).listAllImages({ onSent: () => cancel.abort(), signal: cancel.signal });
      // Without the signal the list would end only with the client's 60 s timeout, whose message differs.
      await assert.rejects(listing, (error) => {
        assert.ok(error instanceof ImagesumError, String(error));
        assert.match(error.message, /aborted/);
        return true;
      });
      await engine.hungUp;
    } finally {
      await engine.close();
    }
  });

  it('status reports context before engine', async () => {
    const tree = makeTree({ 'imagesum.yaml': 'images:\n  - dockerfile: app/Dockerfile\n    name: t/app\n', 'app/Dockerfile': 'FROM scratch\nCOPY nothere.txt /x\n' });
    try {
      const host = `unix://${join(folder, 'no-engine.sock')}`;
      await assert.rejects(analyzeAgainstEngine({ cwd: tree.root, host, offline: true, statCache: false }), (error) => {
        assert.ok(error instanceof ImagesumError, String(error));
        assert.equal(error.kind, 'context');
        assert.equal(error.message, 'app/Dockerfile:2: source "nothere.txt" not found in the build context; check the path and the ignore file');
        return true;
      });
    } finally {
      tree.remove();
    }
  });

  // The guard only ends a hang: an uncancelled request would stay open until the client's 60 s timeout.
  it('status cancels list on config error', { timeout: 30_000 }, async () => {
    const engine = await silentEngine();
    const tree = makeTree({ 'imagesum.yaml': 'images:\n  - dockerfile: missing/Dockerfile\n    name: t/a\n' });
    try {
      await assert.rejects(analyzeAgainstEngine({ cwd: tree.root, host: engine.host, offline: true, statCache: false }), (error) => {
        assert.ok(error instanceof ImagesumError, String(error));
        assert.equal(error.message, 'imagesum.yaml:2: Dockerfile missing/Dockerfile not found; fix the path or create the file');
        return true;
      });
      await engine.hungUp;
    } finally {
      tree.remove();
      await engine.close();
    }
  });
});

/** Pings the engine from a child process running as user and group 65534 (nobody), and returns its error message. */
function pingAsNobody(host: string): Promise<string> {
  // Compiled tests run next to compiled sources; under tsx the sources are TypeScript.
  const compiled = import.meta.url.endsWith('.js');
  const moduleUrl = new URL(`../../src/engine/index.${compiled ? 'js' : 'ts'}`, import.meta.url).href;
  const code = [
    `const engine = await import(${JSON.stringify(moduleUrl)});`,
    `try { await engine.createEngineClient({ host: ${JSON.stringify(host)} }).ping(); console.log('no error'); }`,
    'catch (error) { console.log(error.message); }',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...(compiled ? [] : ['--import', 'tsx']), '--input-type=module', '--eval', code],
      { uid: 65534, gid: 65534, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`child process as nobody failed: ${stderr.trim()}`));
          return;
        }
        resolve(stdout.trim());
      },
    );
  });
}
