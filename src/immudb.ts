// `fmwk-ledger/immudb`: the immudb store, bootstrapping its database, and its configuration.
// A separate entry point because it loads @grpc/grpc-js: the core never does.
export { ImmudbStore, type ImmudbStoreOptions } from './stores/immudb/immudbStore.js';
export { bootstrapImmudb, type ImmudbBootstrapResult, type ImmudbBootstrapOptions } from './stores/immudb/bootstrapImmudb.js';
export type { ImmudbVerifyOptions } from './stores/immudb/verification/proofChecker.js';
export {
  resolveImmudbConfig, parseImmudbAddress, formatImmudbAddress, IMMUDB_ENV,
  type ImmudbConfig, type ImmudbAddress, type ResolveImmudbConfigOptions,
} from './stores/immudb/immudbConfig.js';
export { Secret } from './stores/immudb/secret.js';
export { ReplicatedImmudbStore, type ReplicatedImmudbStoreOptions, type ReadYourWrites, type ReplicaLag } from './stores/immudb/replicatedImmudbStore.js';
export { promoteImmudb, type ImmudbPromoteResult, type ImmudbPromoteOptions } from './stores/immudb/promoteImmudb.js';
