// Mocha's spec reporter, plus the plain closing line CI reads: "N passed, N failed".
'use strict';
const Mocha = require('mocha');
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      // After the spec reporter's epilogue, which it also prints on EVENT_RUN_END.
      process.nextTick(() => console.log(`${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`));
    });
  }
}
module.exports = SummaryReporter;
