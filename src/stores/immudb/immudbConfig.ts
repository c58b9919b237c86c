// Where the immudb store connects and as whom. Sources, lowest precedence first:
// built-in local-development defaults < JSON config file < environment < the `immudb://` address.
// The password is wrapped in a Secret so that no log line or error message can carry it.

import { LedgerConnectionError } from '../../errors/errors.js';
import { Secret } from './secret.js';
import { readSideFileSync } from '../sideFile.js';

/** Where an immudb ledger lives and how to log in; built by {@link resolveImmudbConfig}. */
export interface ImmudbConfig {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: Secret;
  /** Every event key starts with this; lets several ledgers (or test cases) share a database. */
  readonly keyPrefix: string;
  /**
   * How long opening a connection may take before it fails with LedgerConnectionError (ms,
   * default IMMUDB_CONNECT_TIMEOUT_MS): a host where nothing answers fails in this time, not
   * after the 30 s deadline of a call.
   */
  readonly connectTimeoutMs?: number;
}

/** The default of {@link ImmudbConfig.connectTimeoutMs}: a few seconds, far above a local or LAN handshake. */
export const IMMUDB_CONNECT_TIMEOUT_MS = 5_000;

/** immudb's stock admin account and port: for local development only, documented as such. */
export const IMMUDB_LOCAL_DEV_DEFAULTS = {
  host: '127.0.0.1',
  port: 3322,
  database: 'ledger',
  user: 'immudb',
  password: 'immudb',
  keyPrefix: 'event/',
} as const;

/** The environment variables {@link resolveImmudbConfig} reads, by config field. */
export const IMMUDB_ENV = {
  host: 'IMMUDB_HOST',
  port: 'IMMUDB_PORT',
  database: 'IMMUDB_DATABASE',
  user: 'IMMUDB_USER',
  password: 'IMMUDB_PASSWORD',
  keyPrefix: 'IMMUDB_KEY_PREFIX',
  connectTimeoutMs: 'IMMUDB_CONNECT_TIMEOUT_MS',
  configFile: 'FMWK_LEDGER_CONFIG',
} as const;

/** The parts of an `immudb://HOST:PORT/DB` store address. */
export interface ImmudbAddress {
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

/** The sources {@link resolveImmudbConfig} merges, beside the defaults. */
export interface ResolveImmudbConfigOptions {
  /** `immudb://HOST:PORT/DB`; each part it names wins over every other source. */
  readonly address?: string;
  /** Path of a JSON config file (`--config`); falls back to $FMWK_LEDGER_CONFIG. */
  readonly configFile?: string;
  /** Explicit values (e.g. from code); they win over file and environment, not over the address. */
  readonly overrides?: Partial<Omit<ImmudbConfig, 'password'> & { password: string }>;
  /** The environment to read {@link IMMUDB_ENV} from; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

const DATABASE_NAME = /^[a-z0-9_]{1,128}$/;

export const isImmudbAddress = (store: string): boolean => store.startsWith('immudb://');

/** Parses `immudb://HOST:PORT/DB`; port and database may be omitted (3322, `ledger`). */
export function parseImmudbAddress(address: string): ImmudbAddress {
  if (!isImmudbAddress(address)) {
    throw new LedgerConnectionError(`store address "${address}" does not start with immudb://`);
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch (cause) {
    throw new LedgerConnectionError(`store address "${address}" is not a valid immudb://HOST:PORT/DB address`, { cause });
  }
  if (url.username !== '' || url.password !== '') {
    // Refused rather than used: credentials in an address end up in shell history and process lists.
    throw new LedgerConnectionError(
      `store address immudb://${url.host}${url.pathname} must not contain credentials; ` +
        `set ${IMMUDB_ENV.user}/${IMMUDB_ENV.password} or use a config file`,
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? IMMUDB_LOCAL_DEV_DEFAULTS.port : parsePort(url.port, 'store address port');
  const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const database = path === '' ? IMMUDB_LOCAL_DEV_DEFAULTS.database : checkDatabaseName(path, 'store address database');
  return { host, port, database };
}

/** The `immudb://HOST:PORT/DB` form of an address (IPv6 hosts in brackets); no credentials. */
export const formatImmudbAddress = ({ host, port, database }: ImmudbAddress): string =>
  `immudb://${host.includes(':') ? `[${host}]` : host}:${port}/${database}`;

/** Merges defaults, config file, environment, overrides and address (in rising precedence). */
export function resolveImmudbConfig(options: ResolveImmudbConfigOptions = {}): ImmudbConfig {
  const env = options.env ?? process.env;
  const configFile = options.configFile ?? nonEmpty(env[IMMUDB_ENV.configFile]);
  const fromFile = configFile === undefined ? {} : readConfigFile(configFile);
  const fromEnv = {
    host: nonEmpty(env[IMMUDB_ENV.host]),
    port: nonEmpty(env[IMMUDB_ENV.port]),
    database: nonEmpty(env[IMMUDB_ENV.database]),
    user: nonEmpty(env[IMMUDB_ENV.user]),
    password: env[IMMUDB_ENV.password],
    keyPrefix: env[IMMUDB_ENV.keyPrefix],
    connectTimeoutMs: nonEmpty(env[IMMUDB_ENV.connectTimeoutMs]),
  };
  const fromAddress: Partial<ImmudbAddress> = options.address === undefined ? {} : parseImmudbAddress(options.address);
  const o = options.overrides ?? {};
  const d = IMMUDB_LOCAL_DEV_DEFAULTS;

  const port = fromAddress.port ?? o.port ?? fromEnv.port ?? fromFile.port ?? d.port;
  const database = fromAddress.database ?? o.database ?? fromEnv.database ?? fromFile.database ?? d.database;
  const keyPrefix = o.keyPrefix ?? fromEnv.keyPrefix ?? fromFile.keyPrefix ?? d.keyPrefix;
  const connectTimeoutMs =
    o.connectTimeoutMs ?? (fromEnv.connectTimeoutMs === undefined ? undefined : parseTimeout(fromEnv.connectTimeoutMs, IMMUDB_ENV.connectTimeoutMs)) ?? fromFile.connectTimeoutMs;
  if (keyPrefix === '') {
    throw new LedgerConnectionError('immudb keyPrefix: must not be empty (events would share the key space with other data)');
  }
  return {
    host: fromAddress.host ?? o.host ?? fromEnv.host ?? fromFile.host ?? d.host,
    port: typeof port === 'number' ? port : parsePort(port, `${IMMUDB_ENV.port}`),
    database: checkDatabaseName(database, 'immudb database'),
    user: o.user ?? fromEnv.user ?? fromFile.user ?? d.user,
    password: new Secret(o.password ?? fromEnv.password ?? fromFile.password ?? d.password),
    keyPrefix,
    ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
  };
}

interface ConfigFileImmudbSection {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  keyPrefix?: string;
  connectTimeoutMs?: number;
}

/** Reads the `immudb` section of a JSON config file: `{ "immudb": { "host": ..., ... } }`. */
function readConfigFile(path: string): ConfigFileImmudbSection {
  // Regular files only, within a size limit (LedgerFileError): never /dev/zero or a FIFO.
  const { text } = readSideFileSync('config file', path, 'config');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // A JSON.parse failure can quote file content (a password): say only what is wrong.
    throw new LedgerConnectionError(`config file ${path} is not valid JSON`);
  }
  const section = isRecord(parsed) ? parsed['immudb'] : undefined;
  if (section === undefined) return {};
  if (!isRecord(section)) throw new LedgerConnectionError(`config file ${path}: "immudb" must be an object`);
  const out: ConfigFileImmudbSection = {};
  for (const field of ['host', 'database', 'user', 'password', 'keyPrefix'] as const) {
    const value = section[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      // Never echo the value: it may be the password.
      throw new LedgerConnectionError(`config file ${path}: immudb.${field} must be a string, got ${typeof value}`);
    }
    out[field] = value;
  }
  const port = section['port'];
  if (port !== undefined) {
    if (typeof port !== 'number') throw new LedgerConnectionError(`config file ${path}: immudb.port must be a number, got ${typeof port}`);
    out.port = parsePort(String(port), `config file ${path}: immudb.port`);
  }
  const timeout = section['connectTimeoutMs'];
  if (timeout !== undefined) {
    if (typeof timeout !== 'number') throw new LedgerConnectionError(`config file ${path}: immudb.connectTimeoutMs must be a number, got ${typeof timeout}`);
    out.connectTimeoutMs = parseTimeout(String(timeout), `config file ${path}: immudb.connectTimeoutMs`);
  }
  return out;
}

function parsePort(text: string, field: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new LedgerConnectionError(`${field}: "${text}" is not a TCP port (1-65535)`);
  }
  return port;
}

/** A connect timeout in milliseconds: an integer from 1 to 600,000 (ten minutes). */
function parseTimeout(text: string, field: string): number {
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms < 1 || ms > 600_000) {
    throw new LedgerConnectionError(`${field}: ${JSON.stringify(text)} is not a timeout in milliseconds (1-600000)`);
  }
  return ms;
}

function checkDatabaseName(name: string, field: string): string {
  // immudb accepts lower-case letters, digits and underscores only.
  if (!DATABASE_NAME.test(name)) {
    throw new LedgerConnectionError(`${field}: "${name}" is not a valid immudb database name (a-z, 0-9, _)`);
  }
  return name;
}

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
