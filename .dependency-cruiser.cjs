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
    {
      name: 'examples-use-public-api',
      comment: 'examples are written as a user would: only the package entry points',
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^(src|projections|replay|snapshots)/', pathNot: '^src/(index|immudb|verify|testing)\\.ts$' },
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
