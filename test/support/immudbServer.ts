// A throwaway immudb server for tests: free loopback port, temporary data dir, pgsql/web/metrics
// servers off, synced writes on. start() resolves once the server accepts a session; kill() and
// restart() (same port, same data) exist for the reconnect tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImmudbSession } from '../../src/stores/immudb/immudbRpc.js';
import { Secret } from '../../src/stores/immudb/secret.js';
import { locateImmudbBinary } from './immudbBinary.js';

export const TEST_ADMIN_USER = 'immudb';
export const TEST_ADMIN_PASSWORD = 'immudb';

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ImmudbTestServer {
  readonly host = '127.0.0.1';
  readonly binary: string;
  readonly dataDir: string;
  port = 0;
  #process: ChildProcess | undefined;
  #log: WriteStream | undefined;
  #exited: Promise<void> | undefined;

  constructor(binary: string = locateImmudbBinary()) {
    this.binary = binary;
    this.dataDir = mkdtempSync(join(tmpdir(), 'fmwk-ledger-immudb-'));
  }

  get running(): boolean {
    return this.#process !== undefined;
  }

  get logFile(): string {
    return join(this.dataDir, 'server.log');
  }

  /** Starts on a fresh free port (first start) or the port it had (restart). */
  async start(): Promise<void> {
    if (this.#process !== undefined) throw new Error('immudb test server already running');
    if (this.port === 0) this.port = await freeLoopbackPort();
    this.#log ??= createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(
      this.binary,
      [
        '--dir', join(this.dataDir, 'data'),
        '--address', this.host,
        '--port', String(this.port),
        '--admin-password', TEST_ADMIN_PASSWORD,
        '--pgsql-server=false',
        '--web-server=false',
        '--metrics-server=false',
        '--synced=true',
        '--max-sessions', '1000',
      ],
      { cwd: this.dataDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#process = child;
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.#exited.then(() => {
      if (this.#process === child) this.#process = undefined;
    });
    await this.#waitUntilAnswering(child);
  }

  /** Graceful stop (SIGTERM, then SIGKILL after a grace period). */
  async stop(): Promise<void> {
    await this.#terminate('SIGTERM');
  }

  /** Abrupt stop, as a crash or a pulled plug would do it. */
  async kill(): Promise<void> {
    await this.#terminate('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the server and deletes its data. */
  async dispose(): Promise<void> {
    await this.stop();
    this.#log?.end();
    this.#log = undefined;
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Environment that lets child processes and adapters find this server. */
  env(database: string): Record<string, string> {
    return {
      IMMUDB_HOST: this.host,
      IMMUDB_PORT: String(this.port),
      IMMUDB_DATABASE: database,
      IMMUDB_USER: TEST_ADMIN_USER,
      IMMUDB_PASSWORD: TEST_ADMIN_PASSWORD,
    };
  }

  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.#process;
    if (child === undefined) return;
    child.kill(signal);
    const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(escalate);
    this.#process = undefined;
  }

  async #waitUntilAnswering(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`immudb exited during startup (code ${child.exitCode}, signal ${child.signalCode}); see ${this.logFile}`);
      }
      try {
        const session = await ImmudbSession.open({
          host: this.host,
          port: this.port,
          database: 'defaultdb',
          user: TEST_ADMIN_USER,
          password: new Secret(TEST_ADMIN_PASSWORD),
          callTimeoutMs: 2_000,
        });
        await session.close();
        return;
      } catch (e) {
        lastError = e;
        await sleep(100);
      }
    }
    await this.kill();
    throw new Error(`immudb did not answer on ${this.host}:${this.port} within ${STARTUP_TIMEOUT_MS} ms; see ${this.logFile}`, { cause: lastError });
  }
}
