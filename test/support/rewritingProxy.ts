// A lying immudb, for tests: a loopback TCP proxy that forwards both ways and rewrites chosen
// byte strings in what the server sends back (same length, so gRPC's framing stays valid:
// HTTP/2 DATA frames and protobuf carry lengths, not checksums). A pattern split across two TCP
// reads is still found: the last bytes of a read are held back for up to 2 ms.

import { connect, createServer, type Server, type Socket } from 'node:net';

export class RewritingProxy {
  readonly host = '127.0.0.1';
  port = 0;
  /** How many replacements were made so far. */
  rewrites = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #rules: { from: Buffer; to: Buffer }[] = [];

  private constructor(targetHost: string, targetPort: number) {
    this.#server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      this.#sockets.add(client).add(upstream);
      let held = Buffer.alloc(0);
      let timer: NodeJS.Timeout | undefined;
      const flush = () => { timer = undefined; if (held.length > 0) { client.write(held); held = Buffer.alloc(0); } };
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk: Buffer) => {
        if (timer !== undefined) clearTimeout(timer);
        let buf = Buffer.concat([held, chunk]);
        for (const { from, to } of this.#rules) {
          for (let at = buf.indexOf(from); at !== -1; at = buf.indexOf(from, at + from.length)) {
            to.copy(buf, at);
            this.rewrites++;
          }
        }
        const keep = Math.min(buf.length, Math.max(0, ...this.#rules.map((r) => r.from.length - 1)));
        held = buf.subarray(buf.length - keep);
        buf = buf.subarray(0, buf.length - keep);
        if (buf.length > 0) client.write(buf);
        timer = setTimeout(flush, 2);
      });
      const end = () => { client.destroy(); upstream.destroy(); this.#sockets.delete(client); this.#sockets.delete(upstream); };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
  }

  static async start(targetHost: string, targetPort: number): Promise<RewritingProxy> {
    const proxy = new RewritingProxy(targetHost, targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, proxy.host, resolve));
    proxy.port = (proxy.#server.address() as { port: number }).port;
    return proxy;
  }

  /** From now on, every `from` the server sends reaches the client as `to` (same length). */
  rewrite(from: Buffer, to: Buffer): void {
    if (from.length !== to.length || from.length === 0) throw new RangeError('a rewrite keeps the length');
    this.#rules.push({ from, to });
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
