import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import {
  loyaltyOfInputsAsOf,
  LoyaltyScore,
  WithheldLoyalty,
} from '../../../../projections/loyalty.projection';
import { CustomerFiguresOverTime } from '../../../../projections/customer-figures';
import { ConsentState, OpenComplaint } from '../../../../projections/customer-summary.projection';
import { FunnelStage } from '../../../../projections/funnel.projection';
import { WithheldSegment } from '../../../../projections/rfm-scoring';
import { ConsentPurpose } from '../../../domain/customer-events';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { ERASED_VALUE, PiiCipher } from '../../../privacy/pii-cipher';
import { ReadModels } from '../../read-models/read-models';
import { CurrentSegment, CustomerSegments } from '../../analytics/segments.queries';
import { principalCurrency, toDecimal } from '../../../domain/money';
import { CustomerSummary } from '../../../../projections/customer-summary.projection';
import { unknownCustomer } from '../../../domain/domain-error';
import { yieldToEventLoop } from '../../../ports/event-store.port';
import { CustomerOutlook } from '../../../domain/predictions/customer-outlook';
import { CustomerOutlooks, WithheldOutlook } from '../../predictions/customer-outlooks';

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
  /** Probability alive, expected value over the next year, likely next products, each with its reason. */
  readonly predictions: CustomerOutlook | WithheldOutlook;
  readonly purchaseCount: number;
  /** Lifetime purchases minus refunds in the customer's principal currency (the one most purchases were in). */
  readonly netSpend: { readonly amount: number; readonly currency: string };
  /** Lifetime net spend in every currency the customer bought or was refunded in, the principal one first. */
  readonly netSpendByCurrency: readonly { readonly amount: number; readonly currency: string }[];
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
    private readonly outlooks: CustomerOutlooks,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async execute({ customerId, now }: ReadProfile): Promise<CustomerProfile> {
    const summary = await this.readModels.summary(customerId);
    if (!summary) throw unknownCustomer(customerId);
    const at = now.toISOString();
    // The customer's own figures as of now: month totals and a few small pages, whatever the history's size.
    const [funnel, figures] = await Promise.all([
      this.readModels.funnel(customerId),
      this.readModels.customerFigures(customerId, at, this.outlooks.modelCurrency),
    ]);
    // Every read model folds the same consent choices; the funnel's document is small.
    const consents = funnel?.consents;
    // The embedded stores answer synchronously: give waiting requests a turn between the reads' steps.
    await yieldToEventLoop();
    const overTime = new CustomerFiguresOverTime(figures);
    const segment = await this.segments.current(overTime, consents, now);
    await yieldToEventLoop();
    const predictions = await this.outlooks.of(overTime, consents, now);
    const personal = await this.cipher.decryptFields(customerId, ['name', 'email', 'phone'], {
      name: summary.name,
      email: summary.email,
      phone: summary.phone,
    });
    const { ledgerCurrency, exchangeRates } = this.config;
    const loyalty = loyaltyOfInputsAsOf(overTime.loyaltyInputs(at), consents, ledgerCurrency, exchangeRates);
    const spend = netSpendByCurrency(summary, ledgerCurrency);
    return {
      customerId,
      registered: summary.registered,
      erased: summary.erased,
      ...(summary.erased ? { name: ERASED_VALUE, email: ERASED_VALUE, phone: ERASED_VALUE } : personal),
      country: summary.country,
      source: summary.source,
      funnelStage: funnel?.stage ?? 'browsing',
      loyalty,
      segment,
      predictions,
      purchaseCount: summary.purchaseCount,
      netSpend: spend[0]!,
      netSpendByCurrency: spend,
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

/**
 * Lifetime net spend, one entry per currency the customer bought or was refunded in: the principal currency
 * first (the profile's `netSpend`), then by number of purchases and by code. Never converted, never left out.
 */
export function netSpendByCurrency(summary: CustomerSummary, ledgerCurrency: string) {
  const purchases = summary.purchasesByCurrency;
  const principal = principalCurrency(purchases, ledgerCurrency);
  const others = Object.keys(summary.netSpendMinor)
    .filter((currency) => currency !== principal)
    .sort((a, b) => (purchases[b] ?? 0) - (purchases[a] ?? 0) || (a < b ? -1 : 1));
  return [principal, ...others].map((currency) => ({
    amount: toDecimal({ amountMinor: summary.netSpendMinor[currency] ?? 0, currency }),
    currency,
  }));
}
