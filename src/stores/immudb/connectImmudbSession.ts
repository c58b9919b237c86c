// Opening an immudb session, with every way it can fail turned into a LedgerConnectionError that
// says what to do. Shared by the store and by bootstrap. Messages name host, port, database and
// user, never the password.

import { LedgerConnectionError } from '../../errors/errors.js';
import { formatImmudbAddress, IMMUDB_ENV, type ImmudbConfig } from './immudbConfig.js';
import { ImmudbRpcError, ImmudbSession } from './immudbRpc.js';

export interface ConnectOptions {
  readonly callTimeoutMs?: number;
}

export async function connectImmudbSession(config: ImmudbConfig, database: string, options: ConnectOptions = {}): Promise<ImmudbSession> {
  const address = formatImmudbAddress({ host: config.host, port: config.port, database });
  try {
    return await ImmudbSession.open({
      host: config.host,
      port: config.port,
      database,
      user: config.user,
      password: config.password,
      ...(config.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: config.connectTimeoutMs }),
      ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
    });
  } catch (e) {
    if (!(e instanceof ImmudbRpcError)) throw e;
    switch (e.kind) {
      case 'database-missing':
        throw new LedgerConnectionError(
          `${address}: database "${database}" does not exist; create it with \`fmwk-ledger bootstrap --store ${address}\``,
          { cause: e },
        );
      case 'unauthenticated':
        throw new LedgerConnectionError(
          `${address}: immudb refused user "${config.user}" (check ${IMMUDB_ENV.user}/${IMMUDB_ENV.password} or the config file)`,
          { cause: e },
        );
      case 'connection-lost':
        throw new LedgerConnectionError(
          `${address}: cannot reach immudb at ${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port} (${e.message})` +
            (e.message.includes('timed-out') ? `; raise it with ${IMMUDB_ENV.connectTimeoutMs} or "connectTimeoutMs" in the config file's "immudb" section` : ''),
          { cause: e },
        );
      default:
        throw new LedgerConnectionError(`${address}: cannot open an immudb session (${e.message})`, { cause: e });
    }
  }
}
