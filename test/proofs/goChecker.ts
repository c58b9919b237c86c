// Builds and runs test/proofs/gocheck (Go's sumdb/tlog, sumdb/note and transparency-dev's
// cosignature/v1): the independent implementation the proof specs agree with. Built once per
// run into the user cache (outside git), keyed by the hash of its sources; -mod=readonly so the
// committed go.sum is what is used.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function sourceDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'test', 'proofs', 'gocheck', 'go.mod'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('gocheck: test/proofs/gocheck/go.mod not found above the test files');
    dir = parent;
  }
  return join(dir, 'test', 'proofs', 'gocheck');
}

let built: string | undefined;

/** The checker binary's path, building it if its sources changed (throws, never skips, without Go). */
export function goChecker(): string {
  if (built !== undefined) return built;
  const src = sourceDir();
  const digest = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) digest.update(readFileSync(join(src, f)));
  const cacheRoot = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  const out = join(cacheRoot, 'fmwk-ledger', `gocheck-${digest.digest('hex').slice(0, 16)}`, 'gocheck');
  if (!existsSync(out)) {
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync('go', ['build', '-mod=readonly', '-o', tmp, '.'], { cwd: src, stdio: ['ignore', 'inherit', 'inherit'] });
    renameSync(tmp, out);
  }
  return (built = out);
}

export interface GoJob {
  leaves?: string[];
  proofs?: boolean;
  inclusion?: Array<{ index: number; size: number; leaf: string; proof: string[]; root: string }>;
  consistency?: Array<{ old: number; new: number; proof: string[]; oldRoot: string; newRoot: string }>;
  notes?: Array<{ note: string; verifierKeys?: string[]; cosignerKeys?: string[] }>;
  keys?: Array<{ signer?: string; verifier?: string }>;
  sign?: Array<{ name: string; text?: string; cosign?: string }>;
}

export interface GoVerdict {
  ok: boolean;
  error?: string;
  verified?: string[];
}

export interface GoResult {
  roots: string[];
  proofs?: Array<{ size: number; inclusion: string[][]; consistency: string[][] }>;
  inclusion: boolean[];
  consistency: boolean[];
  notes: GoVerdict[];
  keys: GoVerdict[];
  signed: Array<{ signerKey: string; verifierKey: string; note: string; cosignerKey?: string }>;
}

/** Runs one job through the Go checker. */
export function runGo(job: GoJob): GoResult {
  const r = spawnSync(goChecker(), [], { input: JSON.stringify(job), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`gocheck exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as GoResult;
}

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
export const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');
