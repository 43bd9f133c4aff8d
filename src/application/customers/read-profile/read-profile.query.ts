import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import {
  isWithheld,
  loyaltyAsOf,
  LoyaltyScore,
  WithheldLoyalty,
} from '../../../../projections/loyalty.projection';
import { ConsentState, OpenComplaint } from '../../../../projections/customer-summary.projection';
import { FunnelStage } from '../../../../projections/funnel.projection';
import { WithheldSegment } from '../../../../projections/rfm-segments';
import { ConsentPurpose } from '../../../domain/customer-events';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { ERASED_VALUE, PiiCipher } from '../../../privacy/pii-cipher';
import { ReadModels } from '../../read-models/read-models';
import { CurrentSegment, CustomerSegments } from '../../analytics/segments.queries';
import { toDecimal } from '../../../domain/money';
import { unknownCustomer } from '../../../domain/domain-error';

/** The profile a service rep sees: who it is, where they stand, what is open. */
export interface CustomerProfile {
  readonly customerId: string;
  readonly registered: boolean;
  readonly erased: boolean;
  /** Decrypted; `[erased]` once the customer is erased. */
  readonly name?: string;
  readonly email?: string;
  readonly phone?: string;
  readonly country?: string;
  readonly source?: string;
  readonly funnelStage: FunnelStage;
  readonly loyalty: Pick<LoyaltyScore, 'score' | 'tier' | 'components'> | WithheldLoyalty;
  readonly segment: CurrentSegment | WithheldSegment;
  readonly purchaseCount: number;
  /** Lifetime purchases minus refunds in the ledger currency, as a decimal amount. */
  readonly netSpend: { readonly amount: number; readonly currency: string };
  readonly openComplaints: readonly OpenComplaint[];
  readonly complaintsFiled: number;
  readonly consents: Partial<Record<ConsentPurpose, ConsentState>>;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly eventCount: number;
  /** Records merged into this customer (duplicates, identified anonymous visitors), in merge order. */
  readonly mergedFrom?: readonly string[];
}

export class ReadProfile extends Query<CustomerProfile> {
  constructor(
    readonly customerId: string,
    readonly now: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadProfile)
export class ReadProfileHandler implements IQueryHandler<ReadProfile> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly cipher: PiiCipher,
    private readonly segments: CustomerSegments,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async execute({ customerId, now }: ReadProfile): Promise<CustomerProfile> {
    const summary = await this.readModels.summary(customerId);
    if (!summary) throw unknownCustomer(customerId);
    const [funnel, facts, segment] = await Promise.all([
      this.readModels.funnel(customerId),
      this.readModels.loyaltyFacts(customerId),
      this.segments.current(customerId, now),
    ]);
    const personal = await this.cipher.decryptFields(customerId, ['name', 'email', 'phone'], {
      name: summary.name,
      email: summary.email,
      phone: summary.phone,
    });
    const loyalty = loyaltyAsOf(facts ?? null, now.toISOString(), this.config.ledgerCurrency);
    const currency = this.config.ledgerCurrency;
    return {
      customerId,
      registered: summary.registered,
      erased: summary.erased,
      ...(summary.erased ? { name: ERASED_VALUE, email: ERASED_VALUE, phone: ERASED_VALUE } : personal),
      country: summary.country,
      source: summary.source,
      funnelStage: funnel?.stage ?? 'browsing',
      loyalty: isWithheld(loyalty)
        ? loyalty
        : { score: loyalty.score, tier: loyalty.tier, components: loyalty.components },
      segment,
      purchaseCount: summary.purchaseCount,
      netSpend: {
        amount: toDecimal({ amountMinor: summary.netSpendMinor[currency] ?? 0, currency }),
        currency,
      },
      openComplaints: summary.openComplaints,
      complaintsFiled: summary.complaintsFiled,
      consents: summary.consents,
      firstSeenAt: summary.firstSeenAt,
      lastSeenAt: summary.lastSeenAt,
      eventCount: summary.eventCount,
      ...(summary.mergedFrom && { mergedFrom: summary.mergedFrom }),
    };
  }
}
