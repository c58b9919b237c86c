import { canonicalJson } from '../../contract/canonicalJson.js';
import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { defineCommand, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { decodeOrThrow } from '../../contract/validation.js';
import { isLedgerError } from '../../errors/errors.js';
import { EventTypeRegistry } from '../../ledger/eventTypeRegistry.js';
import { TYPES_OPTION, typesRegistry } from '../typesModule.js';

export const read = defineCommand({
  name: 'read',
  summary: 'print one event as its canonical JSON line',
  usage: `--store STORE SEQ`,
  description: `Prints the event at sequence SEQ (0 for the first event; 'tip' prints the newest) as one
canonical JSON line (the stored bytes). With --types (or "types" in the config file) the
event's payload is also checked against its registered codec: a mismatch or an unregistered
type is reported on standard error, exit 1.`,
  options: { ...STORE_OPTIONS, ...TYPES_OPTION },
  json: true,
  exit: `Exit: 0 printed, 1 the payload does not match its registered type, 2 usage error, no such sequence, or I/O error.`,

  async execute({ values, positionals }, io) {
    const store = requireOption(values, 'store');
    if (positionals.length !== 1) throw new UsageError('expected exactly one SEQ');
    const sequence = parseSequence('SEQ (the sequence number of an event, 0 for the first)', positionals[0]);
    const registry = await typesRegistry(values);
    // Any registry: events of types the reader does not hold are still printed as stored.
    const ledger: Ledger<any> = await Ledger.open(await openStore(store, { readOnly: true, ...storeConfig(values) }), registry ? { registry } : {});
    try {
      const event = await ledger.read(sequence);
      io.stdout.write(`${canonicalJson(event)}\n`);
      // Reserved types (snapshot_created) are the framework's own, checked where they are used.
      if (registry && !EventTypeRegistry.isReserved(event.event_type)) {
        try {
          const codec = registry.lookup(event.event_type);
          if (codec._tag === 'Left') throw codec.left;
          decodeOrThrow(codec.right, event.payload, 'payload');
        } catch (e) {
          if (!isLedgerError(e, 'LEDGER_VALIDATION')) throw e;
          io.stderr.write(`fmwk-ledger read: event ${sequence} does not match its registered type: ${e.message}\n`);
          return EXIT.invalid;
        }
      }
      return EXIT.ok;
    } finally {
      await ledger.close();
    }
  },
});
