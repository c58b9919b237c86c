// The layer rules of fmwk-ledger, checked by `npm test` (npm run lint:deps). Lower layers never
// import higher ones: errors < contract < proofs < verify < ledger < stores < cli; the
// event-sourcing folders sit on the core; examples use only the public entry points.
const layer = (name, allowed) => ({
  name: `layer-${name.replace(/[^a-z]/g, '')}`,
  comment: `${name} may import only ${allowed.join(', ')}`,
  severity: 'error',
  from: { path: `^${name}/` },
  to: { path: '^(src|projections|replay|snapshots|examples|test|bench)/', pathNot: allowed.map((a) => `^${a}/`) },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'import cycles make layers meaningless', from: {}, to: { circular: true } },
    layer('src/errors', ['src/errors']),
    layer('src/contract', ['src/errors', 'src/contract']),
    layer('src/proofs', ['src/errors', 'src/contract', 'src/proofs']),
    layer('src/verify', ['src/errors', 'src/contract', 'src/proofs', 'src/verify']),
    layer('src/ledger', ['src/errors', 'src/contract', 'src/proofs', 'src/verify', 'src/ledger']),
    layer('src/stores', ['src/errors', 'src/contract', 'src/proofs', 'src/verify', 'src/ledger', 'src/stores']),
    layer('projections', ['src/errors', 'src/contract', 'src/ledger', 'projections']),
    layer('snapshots', ['src/errors', 'src/contract', 'src/verify', 'src/ledger', 'src/stores', 'projections', 'snapshots']),
    layer('replay', ['src/errors', 'src/contract', 'src/verify', 'src/ledger', 'src/stores', 'projections', 'snapshots', 'replay']),
    layer('src/testing', ['src/errors', 'src/contract', 'src/verify', 'src/ledger', 'src/stores', 'projections', 'snapshots', 'replay', 'src/testing']),
    {
      name: 'library-not-on-testing',
      comment: 'fmwk-ledger/testing sits on top of the library; the library never imports it',
      severity: 'error',
      from: { path: '^(src|projections|replay|snapshots)/', pathNot: '^src/(testing/|testing\\.ts$)' },
      to: { path: '^src/testing/' },
    },
    {
      name: 'core-loads-immudb-on-demand',
      comment: 'only fmwk-ledger/immudb and the CLI import the immudb adapter statically; the core imports it with import()',
      severity: 'error',
      from: { path: '^(src|projections|replay|snapshots)/', pathNot: '^src/(stores/immudb/|immudb\\.ts$|cli/)' },
      to: { path: '^src/stores/immudb/', pathNot: '^src/stores/immudb/(immudbConfig|secret)\\.ts$', dynamic: false },
    },
    {
      name: 'verify-entry-stays-small',
      comment: 'fmwk-ledger/verify is for auditors: no store, no replay, no projections',
      severity: 'error',
      from: { path: '^src/verify\\.ts$' },
      to: { path: '^(src/(ledger|stores|cli|testing)|projections|replay|snapshots)/' },
    },
    {
      name: 'examples-use-public-api',
      comment: 'examples are written as a user would: only the package entry points',
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^(src|projections|replay|snapshots)/', pathNot: '^src/(index|immudb|verify|testing)\\.ts$' },
    },
    {
      name: 'explorer-only-from-cli',
      comment: 'the web explorer (fastify) is loaded by `fmwk-ledger serve` only, never by the library',
      severity: 'error',
      from: { path: '^(src|projections|replay|snapshots)/', pathNot: '^src/(explorer|cli)/' },
      to: { path: '^src/explorer/' },
    },
    {
      name: 'library-not-on-tests',
      severity: 'error',
      from: { path: '^(src|projections|replay|snapshots|examples)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
