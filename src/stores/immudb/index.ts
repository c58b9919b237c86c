// The immudb backend's public part. immudbRpc.ts (the gRPC layer) stays internal.
export { ImmudbStore, type ImmudbStoreOptions } from './immudbStore.js';
export { bootstrapImmudb, type ImmudbBootstrapResult, type ImmudbBootstrapOptions } from './bootstrapImmudb.js';
export {
  resolveImmudbConfig, parseImmudbAddress, formatImmudbAddress, isImmudbAddress, IMMUDB_ENV, IMMUDB_LOCAL_DEV_DEFAULTS,
  type ImmudbConfig, type ImmudbAddress, type ResolveImmudbConfigOptions,
} from './immudbConfig.js';
export { Secret } from './secret.js';
export { ReplicatedImmudbStore, type ReplicatedImmudbStoreOptions, type ReadYourWrites, type ReplicaLag } from './replicatedImmudbStore.js';
export { promoteImmudb, type ImmudbPromoteResult, type ImmudbPromoteOptions } from './promoteImmudb.js';
