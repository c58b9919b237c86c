import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { defineCommand, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError, type CliIO } from '../command.js';
import { decodeOrThrow } from '../../contract/validation.js';
import { isLedgerError } from '../../errors/errors.js';
import type { LedgerEvent } from '../../contract/event.js';
import { EventTypeRegistry } from '../../ledger/eventTypeRegistry.js';
import { TYPES_OPTION, typesRegistry } from '../typesModule.js';
import { canonicalJsonOfStored } from '../../contract/canonicalJson.js';

const integer = (name: string, value: string | undefined): number | undefined => (value === undefined ? undefined : parseSequence(`--${name}`, value));

export const read = defineCommand({
  name: 'read',
  summary: 'print events as canonical JSON lines: by sequence, stream, hash or event id',
  usage: `--store STORE SEQ
       --store STORE --stream ID [--from V] [--to V] [--backward] [--limit N]
       --store STORE --hash HASH
       --store STORE --event-id ID`,
  description: `Prints events as canonical JSON lines (the stored bytes), one per line:
  SEQ          the event at sequence SEQ (0 for the first event)
  --stream ID  the events of stream ID in version order (--backward: newest first), versions
               --from V to --to V inclusive (defaults: the whole stream), at most --limit N
  --hash H     the event whose hash is H (sha256:<64 hex>)
  --event-id   the event with that event_id
Stream, hash and event-id reads are served by the store's indexes; every event is read from
the ledger and checked against the hash the index holds (a mismatch is a corruption error,
exit 2). With --types (or "types" in the config file) each event's payload is also checked
against its registered codec: a mismatch or an unregistered type is reported on standard
error, exit 1.`,
  options: {
    ...STORE_OPTIONS,
    stream: { value: 'ID', description: 'print the events of this stream' },
    from: { value: 'V', integer: true, description: 'with --stream: first version (default 0, or the head with --backward)' },
    to: { value: 'V', integer: true, description: 'with --stream: last version, inclusive' },
    backward: { description: 'with --stream: newest first' },
    limit: { value: 'N', integer: true, description: 'with --stream: at most N events' },
    hash: { value: 'HASH', description: 'print the event with this hash' },
    'event-id': { value: 'ID', description: 'print the event with this event_id' },
    ...TYPES_OPTION,
  },
  json: true,
  exit: `Exit: 0 printed (a stream with no events prints nothing), 1 no event has that hash or event id, or a payload does not match its registered type, 2 usage error, no such sequence, corruption or I/O error.`,

  async execute({ values, flags, positionals }, io) {
    const store = requireOption(values, 'store');
    const modes = (['stream', 'hash', 'event-id'] as const).filter((m) => values[m] !== undefined);
    if (modes.length > 1) throw new UsageError(`--${modes[0]} and --${modes[1]} cannot be combined`);
    const mode = modes[0];
    if (mode === undefined && positionals.length !== 1) throw new UsageError('expected exactly one SEQ (or --stream, --hash or --event-id)');
    if (mode !== undefined && positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} with --${mode}`);
    if (mode !== 'stream') {
      for (const o of ['from', 'to', 'limit', 'backward'] as const) if (values[o] !== undefined || flags[o]) throw new UsageError(`--${o} needs --stream`);
    }
    const sequence = mode === undefined ? parseSequence('SEQ (the sequence number of an event, 0 for the first)', positionals[0]) : undefined;
    const range = {
      ...(values.from === undefined ? {} : { from: integer('from', values.from) }),
      ...(values.to === undefined ? {} : { to: integer('to', values.to) }),
      ...(values.limit === undefined ? {} : { limit: integer('limit', values.limit) }),
      ...(flags.backward ? { direction: 'backward' as const } : {}),
    };
    const registry = await typesRegistry(values);
    // Any registry: events of types the reader does not hold are still printed as stored.
    const ledger: Ledger<any> = await Ledger.open(await openStore(store, { readOnly: true, ...storeConfig(values) }), registry ? { registry } : {});
    const print = (event: LedgerEvent): boolean => {
      io.stdout.write(`${canonicalJsonOfStored(event)}\n`);
      return registry === undefined || matchesType(registry, event, io);
    };
    try {
      if (mode === 'stream') {
        for await (const event of ledger.readStream(values.stream!, range)) if (!print(event)) return EXIT.invalid;
        return EXIT.ok;
      }
      if (mode === 'hash' || mode === 'event-id') {
        const key = values[mode]!;
        const event = mode === 'hash' ? await ledger.getByHash(key) : await ledger.getByEventId(key);
        if (event === undefined) {
          io.stderr.write(`fmwk-ledger read: no event has ${mode === 'hash' ? 'hash' : 'event_id'} ${key} (${ledger.description})\n`);
          return EXIT.invalid;
        }
        return print(event) ? EXIT.ok : EXIT.invalid;
      }
      return print(await ledger.read(sequence!)) ? EXIT.ok : EXIT.invalid;
    } finally {
      await ledger.close();
    }
  },
});

/** Checks the payload against its registered codec; reports a mismatch on standard error. */
function matchesType(registry: EventTypeRegistry, event: LedgerEvent, io: CliIO): boolean {
  // Reserved types (snapshot_created) are the framework's own, checked where they are used.
  if (EventTypeRegistry.isReserved(event.event_type)) return true;
  try {
    const codec = registry.lookup(event.event_type);
    if (codec._tag === 'Left') throw codec.left;
    decodeOrThrow(codec.right, event.payload, 'payload');
    return true;
  } catch (e) {
    if (!isLedgerError(e, 'LEDGER_VALIDATION')) throw e;
    io.stderr.write(`fmwk-ledger read: event ${event.sequence} does not match its registered type: ${e.message}\n`);
    return false;
  }
}
