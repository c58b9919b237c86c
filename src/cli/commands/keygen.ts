import { writeSecretFile } from './proofsCli.js';
import { generateKey } from '../../proofs/note.js';
import { cosignerVerifierKey } from '../../proofs/cosignature.js';
import { defineCommand, requireOption } from '../args.js';
import { EXIT, UsageError } from '../command.js';

export const keygen = defineCommand({
  name: 'keygen',
  summary: 'create an Ed25519 signer key (signed-note format) and print its verifier key',
  usage: `--name NAME --out KEYFILE [--witness]`,
  description: `Writes a new signer key "PRIVATE+KEY+<name>+<key id>+<base64>" to KEYFILE (created
exclusively, mode 0600; never overwritten) and prints the verifier key
"<name>+<key id>+<base64>" that others use to check signatures. NAME is the log's
origin for a log key (e.g. example.com/ledger) or the witness's name.
The signer key is never printed.`,
  options: {
    name: { value: 'NAME', description: 'key name: no spaces, no "+"' },
    out: { value: 'KEYFILE', description: 'where to write the signer key' },
    witness: { description: 'print the cosignature/v1 verifier key (type 0x04) instead' },
  },
  exit: `Exit: 0 written, 2 usage or I/O error (KEYFILE exists).`,

  async execute({ values, flags, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const name = requireOption(values, 'name');
    const out = requireOption(values, 'out');
    const { signerKey, verifierKey } = generateKey(name);
    await writeSecretFile(out, `${signerKey}\n`);
    io.stdout.write(`${flags.witness ? cosignerVerifierKey(signerKey) : verifierKey}\n`);
    return EXIT.ok;
  },
});
