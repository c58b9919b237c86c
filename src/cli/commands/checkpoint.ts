import { takeCheckpoint } from '../../stores/merkleLog.js';
import { parseSignerKey, parseVerifierKey, verifierKeyOf } from '../../proofs/note.js';
import { defineCommand, requireOption } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { proofFailuresInvalid, readSignerKeyFile, withMerkleLog } from './proofsCli.js';

export const checkpoint = defineCommand({
  name: 'checkpoint',
  summary: 'sign a checkpoint (Merkle root) of a store and print it',
  usage: `--store STORE --key KEYFILE`,
  description: `Brings the Merkle hashes (DIR/merkle/hashes; immudb: keys merkle/<prefix>…) up to date
from the ledger, checks it (the part the last
checkpoint covered against that checkpoint's root, every hash added since against the
events themselves), then signs "<origin>\\n<size>\\n<base64 root>\\n" (C2SP tlog-checkpoint)
with the signer key in KEYFILE (mode 0600; its name is the origin). Prints the signed note
and keeps it as DIR/merkle/checkpoint (immudb: the key merkle/<prefix>checkpoint).`,
  options: {
    store: { value: 'STORE', description: 'a directory or immudb://HOST:PORT/DB (opened read-only; immudb credentials from the environment or $FMWK_LEDGER_CONFIG)' },
    key: { value: 'KEYFILE', description: 'the log\'s signer key (see keygen)' },
  },
  exit: `Exit: 0 printed, 1 the hashes or the ledger disagree with the last checkpoint, 2 usage or I/O error.`,

  async execute({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const dir = requireOption(values, 'store');
    const keyText = await readSignerKeyFile(requireOption(values, 'key'));
    const signer = parseSignerKey(keyText);
    const verifier = parseVerifierKey(verifierKeyOf(keyText));
    return proofFailuresInvalid('checkpoint', io, () =>
      withMerkleLog(dir, async (log, store, keeper) => {
        const { signed } = await takeCheckpoint(keeper, store, log, signer, verifier);
        io.stdout.write(signed);
        return EXIT.ok;
      }, io),
    );
  },
});
