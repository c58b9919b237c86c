import { LedgerProofError } from '../../errors/errors.js';
import { parseCheckpoint } from '../../proofs/checkpoint.js';
import { parseCosignerKey } from '../../proofs/cosignature.js';
import { Witness } from '../../stores/witnessState.js';
import { readSideFile } from '../../stores/sideFile.js';
import { parseNote, parseVerifierKey } from '../../proofs/note.js';
import { defineCommand, requireOption } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { proofFailuresInvalid, readSignerKeyFile, readVerifierKey, withMerkleLog } from './proofsCli.js';

export const witness = defineCommand({
  name: 'witness',
  summary: 'cosign a checkpoint (C2SP cosignature/v1) if consistent with the last one cosigned',
  usage: `--checkpoint CP --log-key VKEY --key WITNESS_KEYFILE --state DIR
                          (--store STORE | --proof PROOF.json)`,
  description: `Acts as a witness for a log: checks that CP is signed by the log key VKEY, and that it
extends the last checkpoint this witness cosigned for the same origin (kept in --state
DIR, one file per origin) by a consistency proof, taken from STORE's Merkle hashes or
from PROOF.json (the output of 'prove consistency'). Then records the new size and root
(atomically, before answering) and prints CP with this witness's cosignature line added
(timestamped Ed25519, c2sp.org/tlog-cosignature). The first checkpoint of an origin is
accepted as is. A smaller size, another root for the same size, or a proof that fails is
a split view: refused, nothing recorded. State that cannot be read (a state file that
DIR/origins.json lists but that is missing, malformed, another origin's, a symlink, FIFO
or over 64 KiB) is an error naming the file, never a first visit; one witness runs per
DIR at a time (DIR/witness.lock). Relative DIRs are relative to the working directory.`,
  options: {
    checkpoint: { value: 'CP', description: 'the signed checkpoint file (may already carry cosignatures)' },
    'log-key': { value: 'VKEY', description: 'the log\'s verifier key, literally or a file holding it' },
    key: { value: 'WITNESS_KEYFILE', description: 'the witness\'s signer key (see keygen --witness), mode 0600' },
    state: { value: 'DIR', description: 'the witness\'s state directory' },
    store: { value: 'STORE', description: 'a directory store to take the consistency proof from' },
    proof: { value: 'PROOF.json', description: 'or a consistency proof from \'prove consistency\'' },
  },
  exit: `Exit: 0 cosigned, 1 refused (bad signature, split view), 2 usage or I/O error, state that cannot be read, DIR in use.`,

  async execute({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if ((values.store === undefined) === (values.proof === undefined)) throw new UsageError('give exactly one of --store and --proof');
    const note = (await readSideFile('--checkpoint', requireOption(values, 'checkpoint'), 'checkpoint')).text;
    const logVerifier = parseVerifierKey(await readVerifierKey(requireOption(values, 'log-key'), '--log-key'));
    const cosigner = parseCosignerKey(await readSignerKeyFile(requireOption(values, 'key')));
    const w = new Witness({ cosigner, stateDir: requireOption(values, 'state') });
    return proofFailuresInvalid('witness', io, async () => {
      const cp = parseCheckpoint(parseNote(note).text);
      const last = await w.state(cp.origin);
      let proof: Buffer[] = [];
      if (last !== undefined && last.size > 0 && cp.size > last.size) {
        if (values.store !== undefined) {
          proof = await withMerkleLog(values.store, async (log) => {
            if (cp.size > log.size) throw new LedgerProofError('split_view', 'checkpoint size', `${cp.size} is beyond the ${log.size} events of ${values.store}`);
            return log.consistencyProof(last.size, cp.size);
          }, io);
        } else {
          const p = JSON.parse((await readSideFile('--proof', values.proof!, 'proof')).text) as { from?: unknown; to?: unknown; proof?: unknown };
          if (p.from !== last.size || p.to !== cp.size || !Array.isArray(p.proof) || !p.proof.every((x) => typeof x === 'string')) {
            throw new UsageError(`--proof must be a consistency proof from ${last.size} to ${cp.size} (prove consistency --from ${last.size} --to ${cp.size})`);
          }
          proof = (p.proof as string[]).map((x) => Buffer.from(x, 'base64'));
        }
      }
      io.stdout.write(await w.cosign(note, logVerifier, proof));
      return EXIT.ok;
    });
  },
});
