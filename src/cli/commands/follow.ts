import type { LedgerEvent } from '../../contract/event.js';
import { isLedgerError } from '../../errors/errors.js';
import { Ledger } from '../../ledger/ledger.js';
import type { SubscribeOptions } from '../../ledger/subscriptions.js';
import { FileConsumerCheckpoint } from '../../stores/consumerCheckpoint.js';
import { openStore } from '../../stores/openStore.js';
import { defineCommand, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { canonicalJsonOfStored } from '../../contract/canonicalJson.js';
import type { Observable } from 'rxjs';

export const follow = defineCommand({
  name: 'follow',
  summary: 'print events as JSON lines as they are appended, until interrupted',
  usage: `--store STORE [--from SEQ] [--poll MS] [--stream ID | --stream-prefix P] [--type T[,T...]] [--history index|scan] [--consumer NAME [--consumer-dir DIR]]`,
  description: `Prints every event from SEQ (default 0) as its canonical JSON line, then keeps printing the
events other processes append, as they become durable, until interrupted (Ctrl-C, SIGTERM).
Each event's hash and its link to the one before are checked first (but see --history): a
broken chain stops the command with exit 1, naming the sequence. The store is opened read-only; a directory store is
watched for changes, with polling every MS milliseconds as the fallback (default 200). Its
ledger.jsonl is only ever appended to: whole lines cut from it stop the command with exit 1,
and another file renamed over it (or its removal) with exit 2, naming what changed.

Filters (ledger.subscribe): --stream prints one stream's events, --stream-prefix a category's,
--type only the types listed (with a stream filter, both must hold). The events up to the tip
at start are read through the store's indexes (each checked as \`query\` checks it) unless
--history scan, which reads and chain-checks every event; later ones are chain-checked.

--consumer NAME (ledger.consume) resumes where the last run of NAME stopped: its position (the
last event printed and flushed, with that event's hash) is saved after each event, in
DIR/NAME.checkpoint.json (default DIR: the directory store's consumers/; required for immudb).
An event may be printed again after a crash, never skipped. One process per NAME: a second is
refused (exit 2, LedgerLockedError). A checkpoint that is not a regular file holding this
consumer's record, is past the tip, or names a hash the ledger does not hold there, stops the
command before it prints anything (exit 1, LedgerConsumerCheckpointError).`,
  options: {
    ...STORE_OPTIONS,
    from: { value: 'SEQ', integer: true, description: 'first sequence to print (default 0; with --consumer, only its first run)' },
    poll: { value: 'MS', integer: true, description: 'how often to look for appends by other processes (default 200)' },
    stream: { value: 'ID', description: 'only the events of stream ID' },
    'stream-prefix': { value: 'P', description: 'only the events of streams whose id starts with P' },
    type: { value: 'T[,T...]', description: 'only events of these event types (comma-separated)' },
    history: { value: 'index|scan', description: 'how events up to the tip at start are read: index (default with a filter) or scan' },
    consumer: { value: 'NAME', description: 'a named consumer: resume after the last event it printed, save the position after each' },
    'consumer-dir': { value: 'DIR', description: "where consumers' positions are kept (default: the directory store's consumers/)" },
  },
  exit: `Exit: 0 interrupted, 1 broken chain, lines cut away or unusable consumer checkpoint, 2 usage or I/O error (the ledger file replaced or removed, or the consumer runs elsewhere).`,

  async execute({ values, positionals }, io) {
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const from = values.from === undefined ? 0 : parseSequence('--from', values.from);
    const pollInterval = values.poll === undefined ? 200 : parseSequence('--poll', values.poll);
    if (pollInterval < 1) throw new UsageError('--poll must be at least 1 (milliseconds)');
    if (values.history !== undefined && values.history !== 'index' && values.history !== 'scan') throw new UsageError(`--history: expected index or scan, got ${JSON.stringify(values.history)}`);
    if (values['consumer-dir'] !== undefined && values.consumer === undefined) throw new UsageError('--consumer-dir needs --consumer');
    const options: SubscribeOptions = {
      from, pollInterval,
      ...(values.stream === undefined ? {} : { stream: values.stream }),
      ...(values['stream-prefix'] === undefined ? {} : { streamPrefix: values['stream-prefix'] }),
      ...(values.type === undefined ? {} : { eventTypes: values.type.split(',') }),
      ...(values.history === undefined ? {} : { history: values.history }),
    };
    const filtered = options.stream !== undefined || options.streamPrefix !== undefined || options.eventTypes !== undefined || options.history !== undefined;
    let ledger: Ledger;
    try {
      ledger = await Ledger.open(await openStore(store, { readOnly: true, ...storeConfig(values) }));
    } catch (e) {
      if (!isLedgerError(e, 'LEDGER_CORRUPTION')) throw e;
      io.stderr.write(`fmwk-ledger follow: ${e.name}: ${e.message}\n`);
      return EXIT.invalid;
    }
    let consumer: FileConsumerCheckpoint | undefined;
    try {
      const print = (e: LedgerEvent) => `${canonicalJsonOfStored(e)}\n`;
      let events$: Observable<LedgerEvent>;
      if (values.consumer !== undefined) {
        consumer = await FileConsumerCheckpoint.open(values.consumer, values['consumer-dir'] ?? ledger);
        // The position is saved once the line is handed to the OS, so a crash repeats, never skips.
        events$ = ledger.consume(options, consumer, (e) => new Promise<void>((resolve, reject) => io.stdout.write(print(e), (err) => (err ? reject(err) : resolve()))));
      } else {
        events$ = filtered ? ledger.subscribe(options) : ledger.stream({ from, pollInterval });
      }
      return await new Promise<number>((resolve, reject) => {
        const stop = () => {
          subscription.unsubscribe();
          resolve(EXIT.ok);
        };
        const subscription = events$.subscribe({
          next: (e) => void (consumer === undefined && io.stdout.write(print(e))),
          error: (e: unknown) => {
            process.off('SIGINT', stop).off('SIGTERM', stop);
            if (isLedgerError(e, 'LEDGER_CORRUPTION') || isLedgerError(e, 'LEDGER_CONSUMER_CHECKPOINT')) {
              io.stderr.write(`fmwk-ledger follow: ${e.name}: ${e.message}\n`);
              resolve(EXIT.invalid);
            } else reject(e);
          },
        });
        process.once('SIGINT', stop).once('SIGTERM', stop);
      });
    } finally {
      await consumer?.close();
      await ledger.close();
    }
  },
});
