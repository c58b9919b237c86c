import type { IndexQuery } from '../../ledger/ledgerStore.js';
import { Ledger } from '../../ledger/ledger.js';
import { openStore } from '../../stores/openStore.js';
import { defineCommand, parseSequence, requireOption, STORE_OPTIONS, storeConfig } from '../args.js';
import { EXIT, UsageError } from '../command.js';
import { canonicalJsonOfStored } from '../../contract/canonicalJson.js';

/** An ISO-8601 time as the ledger writes its timestamps (UTC, milliseconds), or a UsageError naming the option. */
function isoOption(name: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const date = /^(\d{4})-(\d{2})-(\d{2})(T|$)/.exec(text);
  // Date.parse rolls a day past the month's end over (2020-02-30 is March 1st): refuse it.
  const valid = date !== null && Number(date[3]) >= 1 && Number(date[3]) <= daysInMonth(Number(date[1]), Number(date[2]));
  const ms = valid ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--${name}: expected an ISO-8601 time like 2026-01-01T00:00:00.000Z, got ${JSON.stringify(text)}`);
  return new Date(ms).toISOString();
}

/** Days in `month` (1-12) of `year` (proleptic Gregorian); 0 for a month that does not exist. */
function daysInMonth(year: number, month: number): number {
  if (month < 1 || month > 12) return 0;
  if (month !== 2) return [4, 6, 9, 11].includes(month) ? 30 : 31;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

export const query = defineCommand({
  name: 'query',
  summary: 'print the events matching filters (type, actor, framework, stream prefix, time) as JSON lines',
  usage: `--store STORE [--type T] [--actor A] [--framework F] [--stream-prefix P] [--since ISO] [--until ISO] [--limit N] [--backward]`,
  description: `Prints every event matching all the filters given, as canonical JSON lines, in sequence
order (--backward: newest first), at most --limit N. No filter prints every event.
  --type T           event_type T
  --actor A          provenance.actor A (system, operator or agent)
  --framework F      provenance.framework_id F
  --stream-prefix P  events of streams whose id starts with P
  --since / --until  the ledger's own timestamps, inclusive; an ISO-8601 time (a date alone
                     is its midnight UTC), compared at millisecond precision
Served by the store's indexes: the cost grows with the events printed, not the ledger's
length. Every event is read from the ledger and checked against the hash the index holds.`,
  options: {
    ...STORE_OPTIONS,
    type: { value: 'T', description: 'event_type' },
    actor: { value: 'A', description: 'provenance.actor: system, operator or agent' },
    framework: { value: 'F', description: 'provenance.framework_id' },
    'stream-prefix': { value: 'P', description: 'stream_id starts with P' },
    since: { value: 'ISO', description: 'timestamp at or after' },
    until: { value: 'ISO', description: 'timestamp at or before' },
    limit: { value: 'N', integer: true, description: 'at most N events' },
    backward: { description: 'newest first' },
  },
  json: true,
  exit: `Exit: 0 printed (possibly nothing), 2 usage error (a bad filter names it), corruption or I/O error.`,

  async execute({ values, flags, positionals }, io) {
    const store = requireOption(values, 'store');
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const since = isoOption('since', values.since);
    const until = isoOption('until', values.until);
    const q: IndexQuery = {
      ...(values.type === undefined ? {} : { event_type: values.type }),
      ...(values.actor === undefined ? {} : { actor: values.actor }),
      ...(values.framework === undefined ? {} : { framework_id: values.framework }),
      ...(values['stream-prefix'] === undefined ? {} : { stream_id_prefix: values['stream-prefix'] }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      ...(values.limit === undefined ? {} : { limit: parseSequence('--limit', values.limit) }),
      ...(flags.backward ? { direction: 'backward' as const } : {}),
    };
    const ledger: Ledger<any> = await Ledger.open(await openStore(store, { readOnly: true, ...storeConfig(values) }));
    try {
      for await (const event of ledger.query(q)) io.stdout.write(`${canonicalJsonOfStored(event)}\n`);
      return EXIT.ok;
    } finally {
      await ledger.close();
    }
  },
});
