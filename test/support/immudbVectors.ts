// Recorded immudb answers (test/vectors/immudb-proofs.json): Buffers are stored as "hex:…"
// strings so the file is plain JSON and the pure tests can replay a real server's proofs.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifiableEntryMsg, VerifiableTxMsg } from '../../src/stores/immudb/immudbRpc.js';

export const VECTORS_FILE = join('test', 'vectors', 'immudb-proofs.json');

export interface ProofVectors {
  readonly immudbVersion: string;
  /** The trusted state before each case (tx id, Alh). */
  readonly cases: readonly (
    | { name: string; kind: 'entry'; key: Buffer; trusted: { txId: number; txHash: Buffer }; expectedNext: number; answer: VerifiableEntryMsg }
    | { name: string; kind: 'tx'; txId: number; contains: { key: Buffer; value: Buffer }[]; trusted: { txId: number; txHash: Buffer }; expectedNext: number; answer: VerifiableTxMsg }
  )[];
}

const encode = (_k: string, v: unknown): unknown =>
  v !== null && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)
    ? `hex:${Buffer.from((v as { data: number[] }).data).toString('hex')}`
    : v;
const decode = (_k: string, v: unknown): unknown => (typeof v === 'string' && v.startsWith('hex:') ? Buffer.from(v.slice(4), 'hex') : v);

export const writeVectors = (path: string, v: ProofVectors): void => writeFileSync(path, `${JSON.stringify(v, encode, 1)}\n`);
export const readVectors = (path: string = VECTORS_FILE): ProofVectors => JSON.parse(readFileSync(path, 'utf8'), decode) as ProofVectors;
