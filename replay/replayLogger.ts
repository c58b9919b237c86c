/** Where replay reports what it skipped (a snapshot failing a check, a failed checkpoint write). */
export interface ReplayLogger {
  /** A snapshot or checkpoint was skipped, or something else the operator should know. */
  warn(message: string): void;
}

/** Warnings to stderr, one line each. */
export const stderrLogger: ReplayLogger = {
  warn: (message) => {
    process.stderr.write(`fmwk-ledger: warning: ${message}\n`);
  },
};

/** Discards warnings (tests that expect them inject a collecting logger instead). */
export const silentLogger: ReplayLogger = { warn: () => undefined };
