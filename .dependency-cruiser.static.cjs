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
  ],
  options: { ...base.options, exclude: { dynamic: true } },
};
