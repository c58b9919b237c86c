import { defineCommand, parseSequence, requireOption } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { b64, withMerkleLog } from './proofsCli.js';

export const prove = defineCommand({
  name: 'prove',
  summary: 'print an RFC 6962 inclusion or consistency proof (JSON, base64 hashes)',
  usage: `inclusion --store DIR --seq N [--size M] [--rebuild]
       fmwk-ledger prove consistency --store DIR --from M --to N [--rebuild]`,
  description: `inclusion: the audit path showing that event N is leaf N of the tree of the first M
events (default: all), as
  {"seq":N,"size":M,"leaf_hash":"<b64>","root":"<b64>","proof":["<b64>",...]}
consistency: the proof that the tree of the first M events is a prefix of the tree of
the first N, as
  {"from":M,"to":N,"old_root":"<b64>","new_root":"<b64>","proof":["<b64>",...]}
Leaf i is event i's canonical line without its newline; hashes are RFC 6962's
(leaf SHA-256(0x00||line), node SHA-256(0x01||left||right)), checkable with Go's
golang.org/x/mod/sumdb/tlog (CheckRecord, CheckTree) or any RFC 9162 verifier.
Every proof is verified against its roots before it is printed, and every stored hash it
uses is checked against its two children (a leaf hash: its sibling and parent; the proven
leaf: its event's line): corrupted
Merkle hashes are an error naming them (exit 2), never a proof that does not verify. They
are derived data: --rebuild rebuilds them from the ledger first.`,
  options: {
    store: { value: 'STORE', description: 'a directory or immudb://HOST:PORT/DB (opened read-only; its Merkle hashes are brought up to date: DIR/merkle, or immudb keys merkle/<prefix>…)' },
    seq: { value: 'N', integer: true, description: 'inclusion: the event' },
    size: { value: 'M', integer: true, description: 'inclusion: the tree size (default: all events)' },
    from: { value: 'M', integer: true, description: 'consistency: the older tree size (1 <= M <= N)' },
    to: { value: 'N', integer: true, description: 'consistency: the newer tree size (default: all events)' },
    rebuild: { description: 'rebuild the Merkle hashes from the ledger first (after an error saying they are corrupted)' },
  },
  json: true,
  exit: `Exit: 0 printed, 2 usage error (a size beyond the ledger), I/O error or corrupted Merkle hashes.`,

  async execute({ values, flags, positionals }, io) {
    const [kind, ...rest] = positionals;
    if (kind !== 'inclusion' && kind !== 'consistency') throw new UsageError('expected "inclusion" or "consistency" after prove');
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    const dir = requireOption(values, 'store');
    return withMerkleLog(dir, async (log) => {
      const limit = (name: string, n: number, min: number): number => {
        if (n < min || n > log.size) throw new UsageError(`${name} ${n} is not within ${min}..${log.size} (the ledger holds ${log.size} events)`);
        return n;
      };
      if (kind === 'inclusion') {
        if (values.from !== undefined || values.to !== undefined) throw new UsageError('--from and --to apply to consistency');
        const size = values.size === undefined ? log.size : limit('--size', parseSequence('--size', values.size), 1);
        const seq = parseSequence('--seq', requireOption(values, 'seq'));
        if (seq >= size) throw new UsageError(`--seq ${seq} is not below the tree size ${size}`);
        const { leafHash, root, proof } = await log.inclusion(seq, size);
        io.stdout.write(`${JSON.stringify({ seq, size, leaf_hash: b64(leafHash), root: b64(root), proof: proof.map(b64) })}\n`);
      } else {
        if (values.seq !== undefined || values.size !== undefined) throw new UsageError('--seq and --size apply to inclusion');
        const to = values.to === undefined ? log.size : limit('--to', parseSequence('--to', values.to), 1);
        const from = limit('--from', parseSequence('--from', requireOption(values, 'from')), 1);
        if (from > to) throw new UsageError(`--from ${from} is above --to ${to}`);
        const { oldRoot, newRoot, proof } = await log.consistency(from, to);
        io.stdout.write(`${JSON.stringify({ from, to, old_root: b64(oldRoot), new_root: b64(newRoot), proof: proof.map(b64) })}\n`);
      }
      return EXIT.ok;
    }, io, { rebuild: flags.rebuild === true });
  },
});
