// Mocha's configuration. `npm test` runs every spec; `npx mocha dist/test/x.spec.js` runs only
// the files named (mocha would otherwise add them to the default spec list and run everything).
const named = process.argv.slice(2).some((a) => /\.spec\.js$|\/$/.test(a) || a.includes('*'));
module.exports = {
  ...(named ? {} : { spec: ['dist/test/**/*.spec.js'] }),
  reporter: 'test/support/summaryReporter.cjs',
  timeout: 120000,
  slow: 5000,
  require: ['dist/test/support/globalFixtures.js'],
};
