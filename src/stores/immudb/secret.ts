// A password that cannot leak by accident: it prints, serialises and inspects as a placeholder,
// and only `reveal()` hands out the value (at the one place that sends it to the server).

import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A password that prints, serialises and inspects as `[redacted]`; only `reveal()` gives the value.
 *
 * @example
 * const password = new Secret(process.env.IMMUDB_PASSWORD ?? '');
 * console.log({ password }); // { password: [redacted] }
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself; call it only where the value leaves the process for its intended use. */
  reveal(): string {
    return this.#value;
  }

  /** `[redacted]`, never the value. */
  toString(): string {
    return REDACTED;
  }

  /** `[redacted]`, so JSON.stringify never carries the value. */
  toJSON(): string {
    return REDACTED;
  }

  /** `[redacted]` in console.log and util.inspect. */
  [inspect.custom](): string {
    return REDACTED;
  }
}
