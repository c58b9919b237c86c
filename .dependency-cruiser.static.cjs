// Static imports only (dynamic import() edges dropped): what loading an entry point pulls in
// before any import() runs. `import 'fmwk-ledger'` and 'fmwk-ledger/verify' must not load gRPC;
// openStore reaches the immudb adapter only through import(); the CLI's entry reaches its
// commands only through import(). Run by npm run lint:deps.
const base = require('./.dependency-cruiser.cjs');

module.exports = {
  forbidden: [
    {
      name: 'core-never-loads-grpc',
      comment: 'gRPC is paid for only by those who import fmwk-ledger/immudb',
      severity: 'error',
      from: { path: '^src/(index|verify)\\.ts$' },
      to: { path: '(^|/)node_modules/@grpc/|^@grpc/', reachable: true },
    },
    {
      name: 'cli-entry-loads-commands-lazily',
      comment: 'the CLI entry imports each command when it runs: --version loads no store, ledger, rxjs or gRPC',
      severity: 'error',
      from: { path: '^src/cli/main\\.ts$' },
      to: { path: '(^|/)node_modules/(@grpc/|rxjs/|better-sqlite3/|fastify/)|^(@grpc/|rxjs$|better-sqlite3$|fastify$)|^src/(stores|ledger|cli/commands)/', reachable: true },
    },
    {
      name: 'ledger-loads-rxjs-lazily',
      comment: 'rxjs (~220 files) is loaded on first subscription (src/ledger/lazyRxjs.ts): the ledger and the directory store never import it statically, so commands such as tip and read do not pay for it',
      severity: 'error',
      from: { path: '^src/(ledger/ledger|stores/directoryStore|stores/openStore)\\.ts$' },
      to: { path: '(^|/)node_modules/rxjs/|^rxjs$', reachable: true },
    },
  ],
  // lazyRxjs.ts require()s rxjs on first use, not when loaded: for this cruise it is dynamic too.
  // What runs, so type-only imports (erased by tsc) are not edges here.
  options: { ...base.options, tsPreCompilationDeps: false, exclude: { dynamic: true, path: '^src/ledger/lazyRxjs\\.ts$' } },
};
