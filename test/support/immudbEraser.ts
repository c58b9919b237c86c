// What an attacker with immudb credentials can do that the library never may (tests only): a
// logical Delete of keys, and a Set whose entry expires. immudb 1.11 serves both to any user
// with write access; its reads, Scans and keyMustExist/keyMustNotExist then treat the key as
// absent, while History still lists every revision. The library's own .proto cannot address
// Delete (immudbRpc.ts's allow-list): this client declares just these calls, written for the
// tests from immudb's schema.proto (v1.11.1, package immudb.schema), with its field numbers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { sharedImmudb } from './sharedImmudb.js';
import { TEST_DATABASE } from './immudbTestStores.js';

const PROTO = `syntax = "proto3";
import "google/protobuf/empty.proto";
package immudb.schema;
service ImmuService {
  rpc OpenSession(OpenSessionRequest) returns (OpenSessionResponse) {}
  rpc CloseSession(google.protobuf.Empty) returns (google.protobuf.Empty) {}
  rpc Set(SetRequest) returns (TxHeader) {}
  rpc Delete(DeleteKeysRequest) returns (TxHeader) {}
}
message OpenSessionRequest { bytes username = 1; bytes password = 2; string databaseName = 3; }
message OpenSessionResponse { string sessionID = 1; string serverUUID = 2; }
message Expiration { int64 expiresAt = 1; }
message KVMetadata { bool deleted = 1; Expiration expiration = 2; bool nonIndexable = 3; }
message KeyValue { bytes key = 1; bytes value = 2; KVMetadata metadata = 3; }
message SetRequest { repeated KeyValue KVs = 1; bool noWait = 2; }
message DeleteKeysRequest { repeated bytes keys = 1; uint64 sinceTx = 2; bool noWait = 3; }
message TxHeader { uint64 id = 1; }
`;

type Method = 'OpenSession' | 'CloseSession' | 'Set' | 'Delete';

export class ImmudbEraser {
  private constructor(
    private readonly client: grpc.Client,
    private readonly service: grpc.ServiceDefinition,
    private readonly metadata: grpc.Metadata,
  ) {}

  /** A session on the shared test server's test database, as its admin user. */
  static async open(): Promise<ImmudbEraser> {
    const dir = mkdtempSync(join(tmpdir(), 'immudb-eraser-'));
    writeFileSync(join(dir, 'eraser.proto'), PROTO);
    const definition = protoLoader.loadSync(join(dir, 'eraser.proto'), { keepCase: true, longs: Number, defaults: true, oneofs: true });
    const service = definition['immudb.schema.ImmuService'] as grpc.ServiceDefinition;
    const server = sharedImmudb();
    const client = new grpc.Client(`${server.host}:${server.port}`, grpc.credentials.createInsecure());
    const eraser = new ImmudbEraser(client, service, new grpc.Metadata());
    const { sessionID } = (await eraser.call('OpenSession', {
      username: Buffer.from('immudb'), password: Buffer.from('immudb'), databaseName: TEST_DATABASE,
    })) as { sessionID: string };
    eraser.metadata.set('sessionid', sessionID);
    return eraser;
  }

  /** A logical delete: a new revision marked deleted (tx id returned). */
  async delete(key: Buffer): Promise<number> {
    return ((await this.call('Delete', { keys: [key], noWait: false })) as { id: number }).id;
  }

  /** A new revision of `key` holding `value` that expires at `expiresAt` (unix seconds; past is allowed). */
  async setExpiring(key: Buffer, value: Buffer, expiresAt: number): Promise<number> {
    return ((await this.call('Set', { KVs: [{ key, value, metadata: { deleted: false, expiration: { expiresAt }, nonIndexable: false } }], noWait: false })) as { id: number }).id;
  }

  async close(): Promise<void> {
    await this.call('CloseSession', {}).catch(() => undefined);
    this.client.close();
  }

  private call(method: Method, request: unknown): Promise<unknown> {
    const def = this.service[method]!;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, this.metadata, { deadline: Date.now() + 30_000 }, (e, r) =>
        e ? reject(e) : resolve(r),
      );
    });
  }
}
