// The tip: what "next sequence = tip + 1, previous_hash = tip.hash" is computed from.

/** The newest event's sequence and hash; the empty ledger's tip is {-1, GENESIS_HASH}. */
export interface Tip {
  readonly sequence_number: number;
  readonly hash: string;
}
