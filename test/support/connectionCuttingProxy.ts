// A loopback TCP proxy that can lose a response on purpose: once armed, it forwards the next
// bytes the client sends, lets the server work for a moment, then cuts the connection and
// discards whatever the server answered. That is the "write committed, outcome unknown" case
// a dropped connection produces, made deterministic.

import { connect, createServer, type Server, type Socket } from 'node:net';

export class ConnectionCuttingProxy {
  readonly host = '127.0.0.1';
  port = 0;
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  #armed: { delayMs: number; done: () => void } | undefined;

  private constructor(targetHost: string, targetPort: number) {
    this.#server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      const pair = { client, upstream };
      this.#pairs.add(pair);
      let swallowing = false;
      client.on('data', (chunk) => {
        upstream.write(chunk);
        const armed = this.#armed;
        if (armed === undefined) return;
        this.#armed = undefined;
        swallowing = true; // from now on the server's answer never reaches the client
        setTimeout(() => {
          client.destroy();
          upstream.destroy();
          armed.done();
        }, armed.delayMs);
      });
      upstream.on('data', (chunk) => {
        if (!swallowing) client.write(chunk);
      });
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.#pairs.delete(pair);
      };
      client.on('close', drop).on('error', drop);
      upstream.on('close', drop).on('error', drop);
    });
  }

  static async start(targetHost: string, targetPort: number): Promise<ConnectionCuttingProxy> {
    const proxy = new ConnectionCuttingProxy(targetHost, targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, proxy.host, resolve));
    const address = proxy.#server.address();
    if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
    proxy.port = address.port;
    return proxy;
  }

  /** The next request is delivered, its response lost; resolves once the connection is cut. */
  cutAfterNextRequest(delayMs = 300): Promise<void> {
    return new Promise((done) => {
      this.#armed = { delayMs, done };
    });
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
