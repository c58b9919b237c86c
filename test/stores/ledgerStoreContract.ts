// The conformance suite every store runs is public now: ledgerStoreConformance in
// fmwk-ledger/testing (src/testing/ledgerStoreConformance.ts). What stays here is the chai
// helper the store specs share.
import { expect } from 'chai';

export async function expectReject(p: Promise<unknown>, type: new (...a: never[]) => Error): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(type);
    return e as Error;
  }
  expect.fail(`expected ${type.name}`);
}
