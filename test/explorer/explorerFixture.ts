// A ledger to explore and the explorer serving it, as a user starts it: `fmwk-ledger serve` in
// a child process, its URL read from the line it prints.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryStore, Ledger, type AppendInput } from '../../src/index.js';
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
      const input: AppendInput =
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
