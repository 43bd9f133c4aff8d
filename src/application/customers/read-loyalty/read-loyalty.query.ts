import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';

import { loyaltyAsOf, LoyaltyScore, WithheldLoyalty } from '../../../../projections/loyalty.projection';
import { LEDGER_CONFIG, LedgerConfig } from '../../../config/ledger-config';
import { IsIsoTimestamp, IsOmittable } from '../../../validation/validators';
import { ReadModels } from '../../read-models/read-models';
import { unknownCustomer } from '../../../domain/domain-error';

export class ReadLoyaltyParams {
  /** The instant to score as of (by occurredAt); now when absent. */
  @IsOmittable() @IsIsoTimestamp() asOf?: string;
}

/**
 * A customer's loyalty score as of an instant, with its components and contributing events; while profiling
 * consent was withdrawn at that instant, why there is none.
 */
export class ReadLoyalty extends Query<(LoyaltyScore | WithheldLoyalty) & { customerId: string }> {
  constructor(
    readonly customerId: string,
    readonly asOf: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadLoyalty)
export class ReadLoyaltyHandler implements IQueryHandler<ReadLoyalty> {
  constructor(
    private readonly readModels: ReadModels,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async execute({ customerId, asOf }: ReadLoyalty) {
    if (!(await this.readModels.summary(customerId))) throw unknownCustomer(customerId);
    const facts = await this.readModels.loyaltyFacts(customerId);
    const { ledgerCurrency, exchangeRates } = this.config;
    return {
      customerId,
      ...loyaltyAsOf(facts ?? null, asOf.toISOString(), ledgerCurrency, ['profiling'], exchangeRates),
    };
  }
}
