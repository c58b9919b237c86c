// `fmwk-ledger/testing`: what a consumer's tests and a store author's tests import. Uses
// node:assert/strict only, so it works under any test runner with no assertion library.
export { ledgerStoreConformance, type StoreFactory, type StoreUnderTest, type ConformanceOptions } from './testing/ledgerStoreConformance.js';
export { DeciderSpecification, type Decider, type DeciderGiven, type DeciderThen, type ErrorMatcher } from './testing/deciderSpecification.js';
export { ProjectionSpecification, type ProjectionGiven } from './testing/projectionSpecification.js';
export { projectionStateAt, type EventSource, type ProjectionStateAtOptions } from './testing/projectionStateAt.js';
