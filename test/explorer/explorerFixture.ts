// A ledger to explore and the explorer serving it, as a user starts it: `fmwk-ledger serve` in
// a child process, its URL read from the line it prints.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryStore, Ledger, type AppendResult, type SeedAppendInput } from '../../src/index.js';
import { startNode, type RunningChild } from '../support/childProcess.js';
import { spans } from '../support/tamper.js';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Payloads that would run as code if the page ever treated a value as markup. */
export const XSS_SCRIPT = '<script>alert(1)</script>';
export const XSS_IMG = '<img src=x onerror="alert(2)">';

export const PROJECTIONS_JS = `export default [
  { name: 'count', version: 1, initial: 0, apply: (n) => n + 1 },
  { name: 'nodes', version: 1, initial: [], apply: (s, e) => e.event_type === 'node_creation' ? [...s, e.payload.node_id] : s },
];\n`;

const provenance = (actor: 'system' | 'operator' | 'agent') => ({ framework_id: 'FMWK-005', pack_id: 'PC-005-graph', actor });

/**
 * `count` events: 0 is a session_start by the operator whose payload carries the XSS strings,
 * then node_creation (agent, node n<i>) and signal_delta (system) alternate.
 */
export async function writeLedger(store: string, count: number): Promise<void> {
  const ledger = await Ledger.open(await DirectoryStore.open(store));
  try {
    await ledger.append({ event_type: 'session_start', schema_version: '1.0.0', provenance: provenance('operator'), payload: { session_id: XSS_SCRIPT, purpose: XSS_IMG, metadata: { note: '</pre><b>bold</b>' } } });
    for (let i = 1; i < count; i++) {
      const input: SeedAppendInput =
        i % 2 === 1
          ? { event_type: 'node_creation', schema_version: '1.0.0', provenance: provenance('agent'), payload: { node_id: `n${i}`, node_type: 'concept' } }
          : { event_type: 'signal_delta', schema_version: '1.0.0', provenance: provenance('system'), payload: { node_id: `n${i - 1}`, signal: 'weight', delta: i } };
      await ledger.append(input);
    }
  } finally {
    await ledger.close();
  }
}

/** Changes event `seq`'s node_id in place (same length, still valid JSON): its own hash no longer matches. */
export function tamper(store: string, seq: number): void {
  const file = join(store, 'ledger.jsonl');
  const buf = readFileSync(file);
  const { start, end } = spans(buf)[seq]!;
  const line = buf.subarray(start, end).toString('utf8');
  const changed = line.replace(`"node_id":"n${seq}"`, `"node_id":"X${seq}"`);
  if (changed === line || changed.length !== line.length) throw new Error(`cannot tamper with line ${seq}`);
  buf.write(changed, start, 'utf8');
  writeFileSync(file, buf);
}

export interface Served {
  readonly url: string;
  readonly child: RunningChild;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | NodeJS.Signals>;
}

/** Starts `fmwk-ledger serve ARGS` (with `env` added to the environment) and waits for its `listening on` line. */
export async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const saved = process.env;
  process.env = { ...saved, ...env }; // spawn reads process.env synchronously
  let child: RunningChild;
  try {
    child = startNode(MAIN, ['serve', ...args]);
  } finally {
    process.env = saved;
  }
  const line = await child.waitFor((l) => l.startsWith('listening on '));
  return {
    url: line.slice('listening on '.length),
    child,
    stop: async () => {
      child.child.kill('SIGTERM');
      return child.exited;
    },
  };
}

/** Stream ids an attacker might choose: markup, a path out of the store, and a long one. */
export const HOSTILE_STREAMS = ['<img src=x onerror="alert(3)">', '../../../../etc/passwd', `s${'x'.repeat(900)}`] as const;

/** Appends `count` node_creation events to stream `streamId` (versions 0..count-1); their results. */
export async function appendStream(store: string, streamId: string, count: number): Promise<AppendResult[]> {
  const ledger = await Ledger.open(await DirectoryStore.open(store));
  const out: AppendResult[] = [];
  try {
    for (let v = 0; v < count; v++) {
      out.push(await ledger.append({ event_type: 'node_creation', schema_version: '1.0.0', provenance: provenance('agent'), stream_id: streamId, payload: { node_id: `${streamId.slice(0, 20)}-${v}`, node_type: 'concept' } }));
    }
  } finally {
    await ledger.close();
  }
  return out;
}

/** Runs the CLI; throws with its stderr unless it exits 0; its stdout. */
export function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fmwk-ledger ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export interface ProofSetup {
  /** The log's verifier key. */
  readonly logKey: string;
  /** A file holding the verifier keys of witnesses w1 and w2 (not w3). */
  readonly witnesses: string;
  /** The directory of earlier checkpoints: early.cp (cosigned by w1), mid.cp (not cosigned). */
  readonly checkpoints: string;
  /** Sizes: early, mid, latest. */
  readonly sizes: readonly [number, number, number];
}

/**
 * Checkpoints of `store` as an operator keeps them: early.cp of the ledger as it is (cosigned by
 * witness w1), mid.cp after 2 more events, then 3 more and the latest checkpoint, cosigned by
 * w1, w2 and w3 (whose key the explorer is not given), kept as merkle/checkpoint.
 */
export async function proofSetup(dir: string, store: string): Promise<ProofSetup> {
  const key = (name: string, witness = false) => cli('keygen', '--name', name, '--out', join(dir, `${name.replace(/\W/g, '_')}.key`), ...(witness ? ['--witness'] : [])).trim();
  const logKey = key('example.com/explorer-log');
  const logKeyFile = join(dir, 'example_com_explorer_log.key');
  const w = [1, 2, 3].map((i) => key(`witness.example/w${i}`, true));
  const witnesses = join(dir, 'witnesses.txt');
  writeFileSync(witnesses, `# trusted witnesses\n${w[0]}\n${w[1]}\n`);
  const checkpoints = join(dir, 'checkpoints');
  mkdirSync(checkpoints);
  const cosign = (cp: string, i: number) =>
    cli('witness', '--checkpoint', cp, '--log-key', logKey, '--key', join(dir, `witness_example_w${i}.key`), '--state', join(dir, `wstate${i}`), '--store', store);
  const take = () => cli('checkpoint', '--store', store, '--key', logKeyFile);
  const size = async () => {
    const ledger = await Ledger.open(await DirectoryStore.open(store, { readOnly: true }));
    try {
      return (await ledger.getTip()).sequence_number + 1;
    } finally {
      await ledger.close();
    }
  };
  const early = await size();
  writeFileSync(join(checkpoints, 'early.cp'), take());
  writeFileSync(join(checkpoints, 'early.cp'), cosign(join(checkpoints, 'early.cp'), 1));
  await writeLedger(store, 2);
  const mid = await size();
  writeFileSync(join(checkpoints, 'mid.cp'), take());
  await writeLedger(store, 3);
  const latest = await size();
  const latestFile = join(store, 'merkle', 'checkpoint');
  take();
  for (const i of [1, 2, 3]) writeFileSync(latestFile, cosign(latestFile, i));
  return { logKey, witnesses, checkpoints, sizes: [early, mid, latest] };
}

/** Every file under `dir` with its size, mode and SHA-256: proof that nothing was written. */
export function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    const s = statSync(p);
    out[name] = s.isFile() ? `${s.size} ${s.mode} ${s.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}` : `dir ${s.mode}`;
  }
  return out;
}
