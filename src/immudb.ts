// `fmwk-ledger/immudb`: the immudb store, bootstrapping its database, and its configuration.
// A separate entry point because it loads @grpc/grpc-js: the core never does.
export { ImmudbStore, type ImmudbStoreOptions } from './stores/immudb/immudbStore.js';
export { bootstrapImmudb, type ImmudbBootstrapResult } from './stores/immudb/bootstrapImmudb.js';
export type { ImmudbVerifyOptions } from './stores/immudb/verification/proofChecker.js';
export {
  resolveImmudbConfig, parseImmudbAddress, formatImmudbAddress, IMMUDB_ENV,
  type ImmudbConfig, type ImmudbAddress, type ResolveImmudbConfigOptions,
} from './stores/immudb/immudbConfig.js';
export { Secret } from './stores/immudb/secret.js';
