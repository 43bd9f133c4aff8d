import { FieldProblem } from '../../validation/request-validation';

/**
 * Where each field of a ledger command came from in a tracker's message, so that a problem found by the
 * ledger's own rules (`data.items[0].unitPrice.amount`) is reported in the tracker's terms
 * (`batch[3].properties.products[0].price`).
 */
export class FieldMap {
  private readonly sources: [ledgerPath: string, messagePath: string][] = [];

  constructor(readonly prefix: string) {}

  /** Records that the ledger's `ledgerPath` (and everything under it) came from `messagePath`. */
  from(ledgerPath: string, messagePath: string): this {
    this.sources.push([ledgerPath, messagePath]);
    return this;
  }

  /** The message's name for a ledger field: the longest recorded prefix is replaced, the rest kept. */
  messagePath(ledgerPath: string): string {
    let best: [string, string] | undefined;
    for (const source of this.sources) {
      const [ledger] = source;
      const under =
        ledgerPath === ledger || ledgerPath.startsWith(`${ledger}.`) || ledgerPath.startsWith(`${ledger}[`);
      if (under && (!best || ledger.length > best[0].length)) best = source;
    }
    return this.prefix + (best ? best[1] + ledgerPath.slice(best[0].length) : ledgerPath);
  }

  /** A problem of the ledger's rules renamed: its field, and the field's own name where the message opens with it. */
  problem(problem: FieldProblem): FieldProblem {
    const field = this.messagePath(problem.field);
    const ledgerName = lastName(problem.field);
    const messageName = lastName(field);
    const message =
      ledgerName && messageName && problem.message.startsWith(`${ledgerName} `)
        ? messageName + problem.message.slice(ledgerName.length)
        : problem.message;
    return { ...problem, field, message };
  }
}

function lastName(path: string): string | undefined {
  return /([A-Za-z_$][\w$]*)$/.exec(path)?.[1];
}
