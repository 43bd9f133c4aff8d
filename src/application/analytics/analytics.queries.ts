import { TopList } from '../../domain/top-list';
import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { funnelReportOfCounters } from '../../../projections/funnel-cohort.figure';
import { FunnelReport } from '../../../projections/funnel.projection';
import {
  isWithheld,
  loyaltyAsOf,
  LoyaltyScore,
  LoyaltyTier,
  WithheldLoyalty,
} from '../../../projections/loyalty.projection';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { DomainError } from '../../domain/domain-error';
import { Pseudonyms } from '../../privacy/pseudonyms';
import { IsIsoTimestamp, IsOmittable } from '../../validation/validators';
import { ReadModels } from '../read-models/read-models';

export class FunnelParams {
  @IsOmittable() @IsIsoTimestamp() firstSeenFrom?: string;
  @IsOmittable() @IsIsoTimestamp() firstSeenTo?: string;
}

/** Analytics figures leave out customers whose analytics consent is withdrawn; how many is said. */
export interface ConsentExclusions {
  readonly leftOutWithoutConsent: { readonly analytics: number; readonly profiling?: number };
}

/** Customers per funnel stage, conversion and median days between stages for a first-seen cohort. */
export class ReadFunnelReport extends Query<FunnelReport & ConsentExclusions> {
  constructor(
    readonly params: FunnelParams,
    readonly now: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadFunnelReport)
export class ReadFunnelReportHandler implements IQueryHandler<ReadFunnelReport> {
  constructor(private readonly readModels: ReadModels) {}

  async execute({ params }: ReadFunnelReport): Promise<FunnelReport & ConsentExclusions> {
    const iso = (value?: string) => value && new Date(value).toISOString();
    const cohort = { firstSeenFrom: iso(params.firstSeenFrom), firstSeenTo: iso(params.firstSeenTo) };
    const counters = await this.readModels.funnelCohortCounters(cohort.firstSeenFrom, cohort.firstSeenTo);
    const { withoutConsent, ...report } = funnelReportOfCounters(counters, cohort);
    return { ...report, leftOutWithoutConsent: { analytics: withoutConsent } };
  }
}

export class LoyaltyDistributionParams {
  @IsOmittable() @Type(() => Number) @IsInt() @Min(1) @Max(1000) top?: number;
  /** The instant the scores are as of (by occurredAt); now when absent. */
  @IsOmittable() @IsIsoTimestamp() asOf?: string;
}

export interface LoyaltyDistribution extends ConsentExclusions {
  readonly asOf: string;
  readonly customers: number;
  readonly tiers: Record<LoyaltyTier, number>;
  /** Customers per score band: [0-9], [10-19] ... [90-100]. */
  readonly histogram: readonly { readonly from: number; readonly to: number; readonly customers: number }[];
  readonly meanScore: number | null;
  /** Pseudonymous: keyed pseudonyms and scores only. */
  readonly top: readonly {
    readonly pseudonym: string;
    readonly score: number;
    readonly tier: LoyaltyTier;
  }[];
}

/** Loyalty scores of every customer now: distribution and the top customers, pseudonymous. */
export class ReadLoyaltyDistribution extends Query<LoyaltyDistribution> {
  constructor(
    readonly top: number,
    readonly asOf: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadLoyaltyDistribution)
export class ReadLoyaltyDistributionHandler implements IQueryHandler<ReadLoyaltyDistribution> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly pseudonyms: Pseudonyms,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async execute({ top, asOf }: ReadLoyaltyDistribution): Promise<LoyaltyDistribution> {
    const at = asOf.toISOString();
    const tiers: Record<LoyaltyTier, number> = { bronze: 0, silver: 0, gold: 0 };
    const histogram = Array.from({ length: 10 }, (_, band) => ({
      from: band * 10,
      to: band === 9 ? 100 : band * 10 + 9,
      customers: 0,
    }));
    const leftOut = { analytics: 0, profiling: 0 };
    const best = new TopList<{ customerId: string; score: number; tier: LoyaltyTier }>(
      top,
      (a, b) => b.score - a.score || a.customerId.localeCompare(b.customerId),
    );
    let customers = 0;
    let total = 0;
    for await (const facts of this.readModels.allLoyaltyFacts()) {
      const loyalty = loyaltyAsOf(
        facts,
        at,
        this.config.ledgerCurrency,
        ['analytics', 'profiling'],
        this.config.exchangeRates,
      );
      if (isWithheld(loyalty)) {
        leftOut[loyalty.withheld.purpose as keyof typeof leftOut]++;
        continue;
      }
      const { score, tier } = loyalty;
      tiers[tier]++;
      histogram[Math.min(9, Math.floor(score / 10))]!.customers++;
      total += score;
      customers++;
      best.offer({ customerId: facts.customerId, score, tier });
    }
    return {
      asOf: at,
      customers,
      tiers,
      histogram,
      meanScore: customers === 0 ? null : total / customers,
      top: best
        .list()
        .map(({ customerId, score, tier }) => ({ pseudonym: this.pseudonyms.of(customerId), score, tier })),
      leftOutWithoutConsent: leftOut,
    };
  }
}

/** One customer's loyalty for an analyst, by pseudonym: the answer names the pseudonym, never the id. */
export class ReadPseudonymousLoyalty extends Query<(LoyaltyScore | WithheldLoyalty) & { pseudonym: string }> {
  constructor(
    readonly pseudonym: string,
    readonly asOf: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadPseudonymousLoyalty)
export class ReadPseudonymousLoyaltyHandler implements IQueryHandler<ReadPseudonymousLoyalty> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly pseudonyms: Pseudonyms,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async execute({ pseudonym, asOf }: ReadPseudonymousLoyalty) {
    const customerId = this.pseudonyms.resolve(pseudonym);
    const facts = customerId === undefined ? undefined : await this.readModels.loyaltyFacts(customerId);
    if (customerId === undefined || !(await this.readModels.summary(customerId))) {
      throw new DomainError(
        'not-found',
        'unknown-pseudonym',
        `no customer has the pseudonym ${pseudonym}`,
        'pseudonym',
      );
    }
    const loyalty = loyaltyAsOf(
      facts ?? null,
      asOf.toISOString(),
      this.config.ledgerCurrency,
      ['analytics', 'profiling'],
      this.config.exchangeRates,
    );
    return { pseudonym, ...loyalty };
  }
}
