import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { defineCommand, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { loadProjections } from '../projectionModule.js';
import { readKeyList, readVerifierKey } from './proofsCli.js';
import { parseVerifierKey } from '../../proofs/note.js';
import { parseCosignerVerifierKey } from '../../proofs/cosignature.js';
import { stat } from 'node:fs/promises';
import type { CheckpointKeeper } from '../../stores/merkleLog.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export const serve = defineCommand({
  name: 'serve',
  summary: 'browse the ledger in a web page (read-only explorer)',
  usage: `--store STORE [--port P] [--host H] [--projections MODULE] [--key VKEY]
                          [--witnesses FILE] [--checkpoints DIR] [--config FILE]`,
  description: `Serves a read-only explorer of the ledger: the timeline (paged, filtered by type, actor and
time), search by sequence, hash, event id or stream id (a stream's events in version order),
each event in full with its hash links, chain verification with progress (the first broken
sequence highlighted), the projections' state after any sequence, and the latest signed
checkpoint with inclusion proofs, its witnesses' cosignatures (each checked with --witnesses)
and its consistency with each earlier checkpoint of --checkpoints DIR. Prints
  listening on http://HOST:PORT
on standard output once it accepts connections; runs until interrupted (Ctrl-C).

The store is opened read-only: the explorer never writes and takes no writer lock, so it
can run beside the writer. Bound to 127.0.0.1 unless --host says otherwise; on loopback it
answers only requests addressed to a loopback name (no DNS rebinding).`,
  options: {
    ...STORE_OPTIONS,
    port: { value: 'P', integer: true, description: 'the TCP port (default 0: any free port)' },
    host: { value: 'H', description: "the address to bind (default 127.0.0.1); anything else exposes the ledger's contents to the network" },
    projections: { value: 'MODULE', description: 'the module whose default export is the projections (state view)' },
    key: { value: 'VKEY', description: "the log's verifier key (literally or a file): the checkpoints' signatures are then checked" },
    witnesses: {
      value: 'FILE',
      description: "the witnesses' verifier keys (keygen --witness), one a line, # comments: their cosignatures are then checked. A flag, not a file beside the ledger: whoever writes the ledger's files could plant a key there",
    },
    checkpoints: { value: 'DIR', description: 'a directory of earlier signed checkpoints (saved outputs of checkpoint or witness): each is shown with its consistency with the latest' },
  },
  exit: `Exit: 0 after an interrupt, 2 usage or I/O error.`,

  async execute({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const address = requireOption(values, 'store');
    const port = values.port === undefined ? 0 : parseSequence('--port', values.port);
    if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
    const host = values.host ?? '127.0.0.1';
    if (host.length === 0) throw new UsageError('--host must not be empty');
    const projections = values.projections === undefined ? undefined : await loadProjections(values.projections);
    const logKey = values.key === undefined ? undefined : parseVerifierKey(await readVerifierKey(values.key));
    const witnessKeys = values.witnesses === undefined ? undefined : await readKeyList('--witnesses', values.witnesses, parseCosignerVerifierKey);
    const checkpointsDir = values.checkpoints;
    if (checkpointsDir !== undefined && !(await stat(checkpointsDir).catch(() => undefined))?.isDirectory()) throw new UsageError(`--checkpoints: ${JSON.stringify(checkpointsDir)} is not a directory`);
    const store = await openStore(address, { readOnly: true, ...storeConfig(values) });
    // immudb keeps its latest checkpoint under a key, not in a directory the explorer can read.
    const keeper = (store as { checkpointKeeper?: () => CheckpointKeeper }).checkpointKeeper?.();
    const ledger = await Ledger.open(store);
    const loopback = LOOPBACK.has(host);
    // Loaded here, not at the top: every other command starts without fastify.
    const { createExplorer } = await import('../../explorer/explorerServer.js');
    let app;
    try {
      app = createExplorer({ ledger, ...(projections ? { projections } : {}), ...(logKey ? { logKey } : {}), ...(witnessKeys ? { witnessKeys } : {}), ...(checkpointsDir !== undefined ? { checkpointsDir } : {}), ...(keeper ? { readLatestCheckpoint: () => keeper.readCheckpoint() } : {}), loopbackOnly: loopback, warn: (m) => io.stderr.write(`fmwk-ledger serve: warning: ${m}\n`) });
      await app.listen({ port, host });
    } catch (e) {
      await app?.close().catch(() => undefined);
      await ledger.close();
      throw e;
    }
    const bound = app.server.address();
    const shown = typeof bound === 'object' && bound !== null ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}` : String(bound);
    if (!loopback) io.stderr.write(`fmwk-ledger serve: warning: listening on ${host}, not loopback: anyone who can reach it can read the ledger\n`);
    io.stdout.write(`listening on http://${shown}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await app.close();
    await ledger.close();
    return EXIT.ok;
  },
});
