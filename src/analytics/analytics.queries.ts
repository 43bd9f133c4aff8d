import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { funnelReport, FunnelReport } from '../../projections/funnel.projection';
import { loyaltyScore, LoyaltyTier } from '../../projections/loyalty.projection';
import { LEDGER_CONFIG, LedgerConfig } from '../config/ledger-config';
import { IsIsoTimestamp } from '../http/validators';
import { ReadModels } from '../read-models/read-models';

export class FunnelParams {
  @IsOptional() @IsIsoTimestamp() firstSeenFrom?: string;
  @IsOptional() @IsIsoTimestamp() firstSeenTo?: string;
}

/** Customers per funnel stage, conversion and median days between stages for a first-seen cohort. */
export class ReadFunnelReport extends Query<FunnelReport> {
  constructor(readonly params: FunnelParams) {
    super();
  }
}

@QueryHandler(ReadFunnelReport)
export class ReadFunnelReportHandler implements IQueryHandler<ReadFunnelReport> {
  constructor(private readonly readModels: ReadModels) {}

  async execute({ params }: ReadFunnelReport): Promise<FunnelReport> {
    const iso = (value?: string) => value && new Date(value).toISOString();
    const from = iso(params.firstSeenFrom);
    const to = iso(params.firstSeenTo);
    const positions = [];
    for await (const position of this.readModels.funnelCohort(from, to)) positions.push(position);
    return funnelReport(positions, { firstSeenFrom: from, firstSeenTo: to });
  }
}

export class LoyaltyDistributionParams {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) top?: number;
}

export interface LoyaltyDistribution {
  readonly asOf: string;
  readonly customers: number;
  readonly tiers: Record<LoyaltyTier, number>;
  /** Customers per score band: [0-9], [10-19] ... [90-100]. */
  readonly histogram: readonly { readonly from: number; readonly to: number; readonly customers: number }[];
  readonly meanScore: number | null;
  /** Pseudonymous: customer ids and scores only. */
  readonly top: readonly {
    readonly customerId: string;
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
    const scored: { customerId: string; score: number; tier: LoyaltyTier }[] = [];
    let total = 0;
    for await (const facts of this.readModels.allLoyaltyFacts()) {
      const { score, tier } = loyaltyScore(facts, at, this.config.ledgerCurrency);
      tiers[tier]++;
      histogram[Math.min(9, Math.floor(score / 10))]!.customers++;
      total += score;
      scored.push({ customerId: facts.customerId, score, tier });
    }
    scored.sort((a, b) => b.score - a.score || a.customerId.localeCompare(b.customerId));
    return {
      asOf: at,
      customers: scored.length,
      tiers,
      histogram,
      meanScore: scored.length === 0 ? null : total / scored.length,
      top: scored.slice(0, top),
    };
  }
}
