import { Inject, Injectable } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Type } from 'class-transformer';
import { IsISO31661Alpha2, IsNumber, Max, Min } from 'class-validator';
import { performance } from 'node:perf_hooks';
import { customerIdOfStream } from '../../domain/customer-events';
import {
  associationRules,
  AssociationRule,
  RuleThresholds,
} from '../../domain/predictions/association-rules';
import { EVENT_STORE, EventStore, readWholeLog } from '../../ports/event-store.port';
import { IsOmittable } from '../../validation/validators';
import { invalidRange, iso, RangeAsOfParams } from '../analytics/segments.queries';
import { ReadModels } from '../read-models/read-models';

/**
 * Which purchases make the baskets: occurredAt within [from, to] and at or before asOf; with `country`, only
 * those of customers registered in that country (ISO 3166-1 alpha-2, as the customer's record holds it now).
 */
export interface BasketRange {
  readonly from?: string;
  readonly to?: string;
  readonly asOf: string;
  readonly country?: string;
}

export interface ProductAssociationReport {
  readonly asOf: string;
  readonly country?: string;
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
    const customers = new Map<string, { analytics: boolean; counted: boolean }>();
    const baskets: string[][] = [];
    for await (const event of readWholeLog(this.store)) {
      if (event.type !== 'PurchaseCompleted') continue;
      const occurredAt = String(event.metadata.occurredAt);
      if (occurredAt > range.asOf) continue;
      if (range.from !== undefined && occurredAt < range.from) continue;
      if (range.to !== undefined && occurredAt > range.to) continue;
      const customerId = customerIdOfStream(event.streamId);
      let customer = customers.get(customerId);
      if (customer === undefined) {
        const analytics = await this.readModels.consentGiven(customerId, 'analytics', range.asOf);
        const country =
          range.country === undefined ||
          (await this.readModels.summary(customerId))?.country === range.country;
        customer = { analytics, counted: analytics && country };
        customers.set(customerId, customer);
      }
      if (!customer.counted) continue;
      const items = (event.data.items ?? []) as readonly { sku: string }[];
      if (items.length > 0) baskets.push([...new Set(items.map((item) => item.sku))]);
    }
    return {
      asOf: range.asOf,
      ...(range.country !== undefined && { country: range.country }),
      baskets: baskets.length,
      customersLeftOut: [...customers.values()].filter((customer) => !customer.analytics).length,
      rules: associationRules(baskets, thresholds),
      durationMs: Math.round(performance.now() - started),
    };
  }
}

/** The rules' defaults, the same for the CLI, the API and the stored rules of the rep's next products. */
export const DEFAULT_RULE_THRESHOLDS: RuleThresholds = { minSupport: 0.01, minConfidence: 0.3, minLift: 1 };

/**
 * Which baskets and which rules: purchases `from`..`to` up to `asOf` (now when absent), of customers in
 * `country`; the thresholds default to DEFAULT_RULE_THRESHOLDS. Support has a floor of 0.001: below it the
 * itemsets of a large catalogue are too many to count on request.
 */
export class RuleParams extends RangeAsOfParams {
  @IsOmittable() @Type(() => Number) @IsNumber() @Min(0.001) @Max(1) minSupport?: number;
  @IsOmittable() @Type(() => Number) @IsNumber() @Min(0) @Max(1) minConfidence?: number;
  @IsOmittable() @Type(() => Number) @IsNumber() @Min(0) minLift?: number;
  @IsOmittable() @IsISO31661Alpha2() country?: string;
}

export class ReadAssociationRules extends Query<ProductAssociationReport> {
  constructor(
    readonly params: RuleParams,
    readonly now: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadAssociationRules)
export class ReadAssociationRulesHandler implements IQueryHandler<ReadAssociationRules> {
  constructor(private readonly associations: ProductAssociations) {}

  execute({ params, now }: ReadAssociationRules) {
    const range = {
      asOf: iso(params.asOf) ?? now.toISOString(),
      from: iso(params.from),
      to: iso(params.to),
      country: params.country,
    };
    invalidRange(range.from, range.to);
    return this.associations.rules(range, {
      minSupport: params.minSupport ?? DEFAULT_RULE_THRESHOLDS.minSupport,
      minConfidence: params.minConfidence ?? DEFAULT_RULE_THRESHOLDS.minConfidence,
      minLift: params.minLift ?? DEFAULT_RULE_THRESHOLDS.minLift,
    });
  }
}
