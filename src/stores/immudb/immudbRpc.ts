// The only module that knows about gRPC. It loads the project's subset of immudb's schema
// (proto/immudb_v1.11.1_subset.proto), holds one channel with one immudb session, and offers the
// allow-listed calls as typed methods. Failures come out as ImmudbRpcError with a `kind` the
// store can act on; nothing gRPC-shaped leaves this file.
//
// Why not immudb-node for these calls: see docs/immudb.md ("Client decision").

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { Secret } from './secret.js';
import { IMMUDB_CONNECT_TIMEOUT_MS } from './immudbConfig.js';

// ---------------------------------------------------------------------------------------------
// The allow-list

/**
 * Every immudb RPC the adapter may call. Nothing that deletes, truncates, compacts, unloads or
 * otherwise rewrites data is here, and the shipped .proto declares exactly these methods, so the
 * forbidden ones cannot even be addressed. `loadImmuService` refuses a .proto that differs.
 */
export const IMMUDB_ALLOWED_METHODS = [
  'OpenSession',
  'CloseSession',
  'KeepAlive',
  'ExecAll',
  'Scan',
  'History',
  'CreateDatabaseV2',
  // Replication settings only (the .proto declares no other setting): a replica's creation and
  // its promotion to primary (docs/immudb.md "Replicas and failover"). It deletes nothing.
  'UpdateDatabaseV2',
  // Read-only: the session database's settings (promote checks it is promoting a replica).
  'GetDatabaseSettingsV2',
  'VerifiableGet',
  'VerifiableTxById',
  'CurrentState',
] as const;

export type ImmudbMethod = (typeof IMMUDB_ALLOWED_METHODS)[number];

export const isAllowedImmudbMethod = (name: string): name is ImmudbMethod =>
  (IMMUDB_ALLOWED_METHODS as readonly string[]).includes(name);

// ---------------------------------------------------------------------------------------------
// Messages (the fields of the subset .proto the adapter uses; bytes as Buffer, 64-bit as number)

export interface KeyValueMsg { key: Buffer; value: Buffer }
export interface PreconditionMsg {
  keyMustExist?: { key: Buffer };
  /** Passes when the key has no live revision: a deleted or expired one counts as absent (immudb 1.11's Get filters). */
  keyMustNotExist?: { key: Buffer };
  /** Passes when the key's latest revision, deleted or expired included, is at or before txID (or it has none); txID >= 1. */
  keyNotModifiedAfterTX?: { key: Buffer; txID: number };
}
export interface ExecAllRequestMsg {
  Operations: { kv: KeyValueMsg }[];
  noWait: boolean;
  preconditions: PreconditionMsg[];
}
export interface TxHeaderMsg {
  id: number; ts: number; nentries: number; version: number;
  // The hashed fields, used by verification (verification/immudbHashes.ts).
  prevAlh: Buffer; eH: Buffer; blTxId: number; blRoot: Buffer;
  metadata: { truncatedTxID: number; extra: Buffer } | null;
}
export interface EntryMsg {
  tx: number;
  key: Buffer;
  value: Buffer;
  metadata: { deleted: boolean } | null;
  expired: boolean;
  revision: number;
  /** Set when the scanned key is a reference: `key`/`value` are the target's, this is the reference. */
  referencedBy: ReferenceMsg | null;
}
export interface ReferenceMsg { tx: number; key: Buffer; atTx: number; revision: number }
export interface EntriesMsg { entries: EntryMsg[] }
export interface ScanRequestMsg {
  seekKey?: Buffer;
  endKey?: Buffer;
  prefix: Buffer;
  desc: boolean;
  limit: number;
  inclusiveSeek?: boolean;
  inclusiveEnd?: boolean;
}
export interface HistoryRequestMsg { key: Buffer; offset: number; limit: number; desc: boolean }
/** immudb's replication settings; an absent field leaves the server's value (Nullable* wrappers). */
export interface ReplicationSettingsMsg {
  replica?: { value: boolean };
  primaryDatabase?: { value: string };
  primaryHost?: { value: string };
  primaryPort?: { value: number };
  primaryUsername?: { value: string };
  primaryPassword?: { value: string };
  syncReplication?: { value: boolean };
  syncAcks?: { value: number };
  allowTxDiscarding?: { value: boolean };
  skipIntegrityCheck?: { value: boolean };
  waitForIndexing?: { value: boolean };
}
export interface DatabaseSettingsMsg { replicationSettings?: ReplicationSettingsMsg | null }
export interface CreateDatabaseRequestMsg { name: string; ifNotExists: boolean; settings?: DatabaseSettingsMsg }
export interface UpdateDatabaseRequestMsg { database: string; settings: DatabaseSettingsMsg }
export interface UpdateDatabaseResponseMsg { database: string; settings: DatabaseSettingsMsg | null }
export interface DatabaseSettingsResponseMsg { database: string; settings: DatabaseSettingsMsg | null }
export interface CreateDatabaseResponseMsg { name: string; alreadyExisted: boolean }
type EmptyMsg = Record<string, never>;
export interface KvMetadataMsg { deleted: boolean; expiration: { expiresAt: number } | null; nonIndexable: boolean }
export interface InclusionProofMsg { leaf: number; width: number; terms: Buffer[] }
export interface DualProofMsg {
  sourceTxHeader: TxHeaderMsg | null; targetTxHeader: TxHeaderMsg | null;
  inclusionProof: Buffer[]; consistencyProof: Buffer[]; targetBlTxAlh: Buffer; lastInclusionProof: Buffer[];
  linearProof: { sourceTxId: number; TargetTxId: number; terms: Buffer[] } | null;
  LinearAdvanceProof: { linearProofTerms: Buffer[]; inclusionProofs: InclusionProofMsg[] } | null;
}
export interface TxEntryMsg { key: Buffer; hValue: Buffer; vLen: number; metadata: KvMetadataMsg | null }
export interface VerifiableTxMsg {
  tx: { header: TxHeaderMsg | null; entries: TxEntryMsg[] } | null;
  dualProof: DualProofMsg | null;
  signature: { publicKey: Buffer; signature: Buffer } | null;
}
export interface VerifiableEntryMsg { entry: EntryMsg | null; verifiableTx: VerifiableTxMsg | null; inclusionProof: InclusionProofMsg | null }
export interface VerifiableGetRequestMsg { keyRequest: { key: Buffer; atTx: number }; proveSinceTx: number }
export interface VerifiableTxRequestMsg { tx: number; proveSinceTx: number }
export interface ImmutableStateMsg { db: string; txId: number; txHash: Buffer }

interface ImmudbCalls {
  OpenSession: [{ username: Buffer; password: Buffer; databaseName: string }, { sessionID: string; serverUUID: string }];
  CloseSession: [EmptyMsg, EmptyMsg];
  KeepAlive: [EmptyMsg, EmptyMsg];
  ExecAll: [ExecAllRequestMsg, TxHeaderMsg];
  Scan: [ScanRequestMsg, EntriesMsg];
  History: [HistoryRequestMsg, EntriesMsg];
  CreateDatabaseV2: [CreateDatabaseRequestMsg, CreateDatabaseResponseMsg];
  UpdateDatabaseV2: [UpdateDatabaseRequestMsg, UpdateDatabaseResponseMsg];
  GetDatabaseSettingsV2: [EmptyMsg, DatabaseSettingsResponseMsg];
  VerifiableGet: [VerifiableGetRequestMsg, VerifiableEntryMsg];
  VerifiableTxById: [VerifiableTxRequestMsg, VerifiableTxMsg];
  CurrentState: [EmptyMsg, ImmutableStateMsg];
}

// ---------------------------------------------------------------------------------------------
// Failures

/**
 * - `connection-lost`: the server could not be reached or the call's outcome is unknown
 *   (network drop, server killed mid-call, deadline). The store reconnects and retries once.
 * - `session-lost`: the server no longer knows our session (it restarted, or expired it).
 * - `precondition-failed`: an ExecAll precondition did not hold; nothing was written.
 * - `key-not-found`, `database-missing`, `unauthenticated`: as named.
 * - `replica-read-only`: a write reached a replica database (immudb refuses them).
 * - `rejected`: any other refusal by the server.
 */
export type ImmudbFailureKind =
  | 'connection-lost'
  | 'session-lost'
  | 'precondition-failed'
  | 'key-not-found'
  | 'database-missing'
  | 'unauthenticated'
  | 'replica-read-only'
  | 'rejected';

export class ImmudbRpcError extends Error {
  readonly kind: ImmudbFailureKind;
  readonly method: ImmudbMethod;
  constructor(kind: ImmudbFailureKind, method: ImmudbMethod, detail: string, options?: { cause?: unknown }) {
    super(`immudb ${method}: ${detail}`, options);
    this.name = 'ImmudbRpcError';
    this.kind = kind;
    this.method = method;
  }
}

/** Connection and session losses are the failures that a reconnect can cure. */
export const isReconnectable = (e: unknown): e is ImmudbRpcError =>
  e instanceof ImmudbRpcError && (e.kind === 'connection-lost' || e.kind === 'session-lost');

function classify(method: ImmudbMethod, error: grpc.ServiceError): ImmudbRpcError {
  const details = error.details ?? error.message;
  // immudb reports most refusals as status UNKNOWN with its own error text, so the text decides.
  const kind: ImmudbFailureKind =
    error.code === grpc.status.UNAVAILABLE ||
    error.code === grpc.status.DEADLINE_EXCEEDED ||
    error.code === grpc.status.CANCELLED
      ? 'connection-lost'
      : /precondition failed/i.test(details) // immudb 1.11 sends it as FAILED_PRECONDITION
        ? 'precondition-failed'
        : /session not found|no session found|no sessionid provided/i.test(details)
          ? 'session-lost'
          : /read-only because it's a replica/i.test(details)
            ? 'replica-read-only'
            : /key not found/i.test(details)
              ? 'key-not-found'
              : /database does not exist/i.test(details)
                ? 'database-missing'
                : /invalid user name or password|permission|not active/i.test(details) || error.code === grpc.status.UNAUTHENTICATED
                  ? 'unauthenticated'
                  : 'rejected';
  return new ImmudbRpcError(kind, method, `${grpc.status[error.code] ?? error.code}: ${details}`, { cause: error });
}

// ---------------------------------------------------------------------------------------------
// Loading the service definition

const PROTO_FILE = 'immudb_v1.11.1_subset.proto';

/** Finds proto/<file> by walking up from this module (works from src/ and from dist/src/). */
function locateProto(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'proto', PROTO_FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`fmwk-ledger: proto/${PROTO_FILE} not found above ${fileURLToPath(import.meta.url)}`);
}

type ImmuServiceDefinition = { [M in ImmudbMethod]: grpc.MethodDefinition<ImmudbCalls[M][0], ImmudbCalls[M][1]> };

let serviceDefinition: ImmuServiceDefinition | undefined;

/** The service definition loaded from the subset .proto; its methods must equal the allow-list. */
export function loadImmuService(): ImmuServiceDefinition {
  if (serviceDefinition !== undefined) return serviceDefinition;
  const packageDefinition = protoLoader.loadSync(locateProto(), {
    keepCase: true, // field names exactly as in immudb's schema (`Operations`, `seekKey`)
    longs: Number, // tx ids and revision counts stay far below 2^53
    defaults: true,
    oneofs: true,
  });
  const service = packageDefinition['immudb.schema.ImmuService'] as grpc.ServiceDefinition | undefined;
  if (service === undefined) throw new Error(`fmwk-ledger: ${PROTO_FILE} defines no immudb.schema.ImmuService`);
  const declared = Object.keys(service).sort();
  const allowed = [...IMMUDB_ALLOWED_METHODS].sort();
  if (declared.join() !== allowed.join()) {
    throw new Error(`fmwk-ledger: ${PROTO_FILE} declares [${declared.join(', ')}], the allow-list is [${allowed.join(', ')}]`);
  }
  serviceDefinition = service as unknown as ImmuServiceDefinition;
  return serviceDefinition;
}

// ---------------------------------------------------------------------------------------------
// The connection

export interface ImmudbSessionParams {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: Secret;
  /** Per-call deadline, so a hung server surfaces as `connection-lost` rather than a hang. */
  readonly callTimeoutMs?: number;
  /** How long the channel may take to connect (TCP and HTTP/2 handshake) before OpenSession (default IMMUDB_CONNECT_TIMEOUT_MS). */
  readonly connectTimeoutMs?: number;
}

const DEFAULT_CALL_TIMEOUT_MS = 30_000;
// The server drops sessions idle for 2 minutes (Timeout) / 3 minutes (MaxSessionInactivityTime).
const KEEP_ALIVE_INTERVAL_MS = 30_000;
const CLOSE_TIMEOUT_MS = 1_000;

/** One gRPC channel carrying one immudb session on one database. */
export class ImmudbSession {
  readonly #client: grpc.Client;
  readonly #service: ImmuServiceDefinition;
  readonly #metadata: grpc.Metadata;
  readonly #callTimeoutMs: number;
  readonly #keepAlive: NodeJS.Timeout;
  #closed = false;

  private constructor(client: grpc.Client, service: ImmuServiceDefinition, sessionId: string, callTimeoutMs: number) {
    this.#client = client;
    this.#service = service;
    this.#metadata = new grpc.Metadata();
    this.#metadata.set('sessionid', sessionId);
    this.#callTimeoutMs = callTimeoutMs;
    this.#keepAlive = setInterval(() => {
      this.#call('KeepAlive', {}).catch(() => undefined); // a lost session shows on the next real call
    }, KEEP_ALIVE_INTERVAL_MS);
    this.#keepAlive.unref();
  }

  /** Connects and opens a session on `database`; `database-missing` if it does not exist. */
  static async open(params: ImmudbSessionParams): Promise<ImmudbSession> {
    const service = loadImmuService();
    const client = new grpc.Client(`${params.host.includes(':') ? `[${params.host}]` : params.host}:${params.port}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
    const timeout = params.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    try {
      await waitForChannel(client, params.connectTimeoutMs ?? IMMUDB_CONNECT_TIMEOUT_MS);
      const opened = await unary(client, service, 'OpenSession', {
        username: Buffer.from(params.user, 'utf8'),
        password: Buffer.from(params.password.reveal(), 'utf8'),
        databaseName: params.database,
      }, new grpc.Metadata(), timeout);
      return new ImmudbSession(client, service, opened.sessionID, timeout);
    } catch (e) {
      client.close();
      throw e;
    }
  }

  execAll(request: ExecAllRequestMsg): Promise<TxHeaderMsg> {
    return this.#call('ExecAll', request);
  }

  scan(request: ScanRequestMsg): Promise<EntriesMsg> {
    return this.#call('Scan', request);
  }

  history(request: HistoryRequestMsg): Promise<EntriesMsg> {
    return this.#call('History', request);
  }

  createDatabaseV2(request: CreateDatabaseRequestMsg): Promise<CreateDatabaseResponseMsg> {
    return this.#call('CreateDatabaseV2', request);
  }

  updateDatabaseV2(request: UpdateDatabaseRequestMsg): Promise<UpdateDatabaseResponseMsg> {
    return this.#call('UpdateDatabaseV2', request);
  }

  /** The settings of the session's database (replication settings only are declared). */
  getDatabaseSettingsV2(): Promise<DatabaseSettingsResponseMsg> {
    return this.#call('GetDatabaseSettingsV2', {});
  }

  /** A read with immudb's proofs against the client's trusted tx (verification/). */
  verifiableGet(request: VerifiableGetRequestMsg): Promise<VerifiableEntryMsg> {
    return this.#call('VerifiableGet', request);
  }

  /** A transaction's header and entries with the dual proof from `proveSinceTx`. */
  verifiableTxById(request: VerifiableTxRequestMsg): Promise<VerifiableTxMsg> {
    return this.#call('VerifiableTxById', request);
  }

  /** The server's current tx id and Alh: trusted only on first use, then proven. */
  currentState(): Promise<ImmutableStateMsg> {
    return this.#call('CurrentState', {});
  }

  /** Ends the session (best effort: the server may already be gone) and closes the channel. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    try {
      await unary(this.#client, this.#service, 'CloseSession', {}, this.#metadata, CLOSE_TIMEOUT_MS);
    } catch {
      // Closing is cleanup; an unreachable server has dropped the session anyway.
    } finally {
      this.#client.close();
    }
  }

  #call<M extends ImmudbMethod>(method: M, request: ImmudbCalls[M][0]): Promise<ImmudbCalls[M][1]> {
    if (this.#closed) {
      return Promise.reject(new ImmudbRpcError('connection-lost', method, 'session already closed'));
    }
    return unary(this.#client, this.#service, method, request, this.#metadata, this.#callTimeoutMs);
  }
}

/**
 * Waits until the channel is connected, at most `timeoutMs`: a host where nothing answers (or
 * something that accepts and never speaks HTTP/2) fails here, as `connection-lost` with
 * `timed-out` in its message, instead of after a call's deadline. A refused connection fails at
 * once (the channel reports a transient failure).
 */
function waitForChannel(client: grpc.Client, timeoutMs: number): Promise<void> {
  const channel = client.getChannel();
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const step = (state: grpc.connectivityState): void => {
      if (state === grpc.connectivityState.READY) return resolve();
      if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) {
        return reject(new ImmudbRpcError('connection-lost', 'OpenSession', `the connection failed (${grpc.connectivityState[state]})`));
      }
      channel.watchConnectivityState(state, deadline, (error) => {
        if (error) reject(new ImmudbRpcError('connection-lost', 'OpenSession', `timed-out: not connected within ${timeoutMs} ms (connect timeout)`));
        else step(channel.getConnectivityState(true));
      });
    };
    step(channel.getConnectivityState(true));
  });
}

function unary<M extends ImmudbMethod>(
  client: grpc.Client,
  service: ImmuServiceDefinition,
  method: M,
  request: ImmudbCalls[M][0],
  metadata: grpc.Metadata,
  timeoutMs: number,
): Promise<ImmudbCalls[M][1]> {
  // Checked at run time too: a cast or a JS caller must not reach a method outside the list.
  if (!isAllowedImmudbMethod(method)) {
    return Promise.reject(new Error(`fmwk-ledger: immudb method ${String(method)} is not on the allow-list`));
  }
  const definition = service[method] as grpc.MethodDefinition<ImmudbCalls[M][0], ImmudbCalls[M][1]>;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      metadata,
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        if (error) reject(classify(method, error));
        else if (response === undefined) reject(new ImmudbRpcError('rejected', method, 'empty response'));
        else resolve(response);
      },
    );
  });
}
