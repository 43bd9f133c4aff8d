import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { customerIdOfStream } from '../../domain/customer-events';
import {
  associationRules,
  AssociationRule,
  RuleThresholds,
} from '../../domain/predictions/association-rules';
import { EVENT_STORE, EventStore, readWholeLog } from '../../ports/event-store.port';
import { ReadModels } from '../read-models/read-models';

/** Which purchases make the baskets: occurredAt within [from, to] and at or before asOf. */
export interface BasketRange {
  readonly from?: string;
  readonly to?: string;
  readonly asOf: string;
}

export interface ProductAssociationReport {
  readonly asOf: string;
  readonly baskets: number;
  /** Customers whose purchases were left out: analytics consent withdrawn as of the instant. */
  readonly customersLeftOut: number;
  readonly rules: readonly AssociationRule[];
  readonly durationMs: number;
}

/**
 * Association rules between products (by SKU) from the purchases in the log: each completed purchase is a
 * basket. The log is read page by page; only the baskets' SKU lists are kept.
 */
@Injectable()
export class ProductAssociations {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly readModels: ReadModels,
  ) {}

  async rules(range: BasketRange, thresholds: RuleThresholds): Promise<ProductAssociationReport> {
    const started = performance.now();
    const allowed = new Map<string, boolean>();
    const baskets: string[][] = [];
    for await (const event of readWholeLog(this.store)) {
      if (event.type !== 'PurchaseCompleted') continue;
      const occurredAt = String(event.metadata.occurredAt);
      if (occurredAt > range.asOf) continue;
      if (range.from !== undefined && occurredAt < range.from) continue;
      if (range.to !== undefined && occurredAt > range.to) continue;
      const customerId = customerIdOfStream(event.streamId);
      let analytics = allowed.get(customerId);
      if (analytics === undefined) {
        analytics = await this.readModels.consentGiven(customerId, 'analytics', range.asOf);
        allowed.set(customerId, analytics);
      }
      if (!analytics) continue;
      const items = (event.data.items ?? []) as readonly { sku: string }[];
      if (items.length > 0) baskets.push([...new Set(items.map((item) => item.sku))]);
    }
    return {
      asOf: range.asOf,
      baskets: baskets.length,
      customersLeftOut: [...allowed.values()].filter((given) => !given).length,
      rules: associationRules(baskets, thresholds),
      durationMs: Math.round(performance.now() - started),
    };
  }
}
