import { Inject, Injectable } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { cohortCutDays, CohortReport, cohortReportOfFigure } from '../../../reports/cohorts';
import { purchaseCohortFigures, purchaseDaysFigure } from '../../../projections/purchase-cohort.figure';
import { PurchaseHistory } from '../../../projections/purchase-history.projection';
import {
  complaintCutDays,
  ComplaintReport,
  complaintReportOfFigure,
  oldestOpenDay,
  oldestOpenDays,
} from '../../../reports/complaint-analytics';
import { periodCover } from '../../../projections/period-figures';
import { complaintDaysFigure, complaintFigures } from '../../../projections/complaint.figure';
import { ComplaintHistory } from '../../../projections/complaint-history.projection';
import { ConsentHistory } from '../../../projections/consent';
import { CustomerFiguresOverTime } from '../../../projections/customer-figures';
import { RfmPopulationWalk } from '../../../projections/rfm-population.figure';
import {
  customerSegmentScoredBy,
  isRfmSegment,
  isWithheldSegment,
  Quintile,
  RFM_SEGMENTS,
  RfmMeasures,
  rfmPopulation,
  rfmScore,
  RfmContext,
  RfmSegment,
  segmentSince,
  WithheldSegment,
} from '../../../projections/rfm-scoring';
import { rfmReport, RfmReport, segmentTransitions, SegmentTransitions } from '../../../reports/rfm';
import {
  satisfactionCutDays,
  SatisfactionReport,
  satisfactionReportOfFigure,
} from '../../../reports/satisfaction';
import { answerDaysFigure, satisfactionFigures } from '../../../projections/satisfaction.figure';
import { SurveyHistory } from '../../../projections/survey-history.projection';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { DomainError } from '../../domain/domain-error';
import { toDecimal } from '../../domain/money';
import { Pseudonyms } from '../../privacy/pseudonyms';
import { IsIsoTimestamp, IsOmittable } from '../../validation/validators';
import { ReadModels } from '../read-models/read-models';
import { yieldToEventLoop } from '../../ports/event-store.port';

/** `asOf`: the instant the figures are as of (by occurredAt); now when absent. */
export class AsOfParams {
  @IsOmittable() @IsIsoTimestamp() asOf?: string;
}

export class SegmentMembersParams extends AsOfParams {
  @IsOmittable() @Type(() => Number) @IsInt() @Min(1) @Max(10_000) limit?: number;
}

/** A range of instants, both ends optional and inclusive. */
export class RangeParams {
  @IsOmittable() @IsIsoTimestamp() from?: string;
  @IsOmittable() @IsIsoTimestamp() to?: string;
}

export class RangeAsOfParams extends RangeParams {
  @IsOmittable() @IsIsoTimestamp() asOf?: string;
}

/** D1 and D2 of a transition question; both required. */
export class TransitionParams {
  @IsIsoTimestamp() from!: string;
  @IsIsoTimestamp() to!: string;
}

export const iso = (value: string | undefined) =>
  value === undefined ? undefined : new Date(value).toISOString();

export function invalidRange(from: string | undefined, to: string | undefined): void {
  if (from !== undefined && to !== undefined && from > to) {
    throw new DomainError('invalid', 'empty-range', `from (${from}) is after to (${to})`, 'from');
  }
}

/** A customer's segment for the rep: its name and since when (see segmentSince), with the scores. */
export interface CurrentSegment {
  readonly name: RfmSegment;
  readonly since: string;
  /** The walk back stopped at its limit (SEGMENT_SINCE_MONTHS): the customer is in it at least since `since`. */
  readonly searchLimitReached?: true;
  readonly asOf: string;
  readonly recency: Quintile;
  readonly frequency: Quintile;
  readonly monetary: Quintile;
}

/**
 * Segment questions about one customer, answered from the customer's month totals and pages (CustomerFigures,
 * read by ReadModels.customerFigures) and the RFM population figure (a bucket per month, kept up to date by
 * the projection runner): the cost is the customer's months plus a few dozen small buckets, whatever the
 * number of customers, the number of the customer's purchases and whatever is being written meanwhile. The
 * figure ranks recency by day and spend in 1% buckets (rfmPopulationFigure).
 */
@Injectable()
export class CustomerSegments {
  constructor(
    private readonly readModels: ReadModels,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  /**
   * The customer's segment as of `now` and since when they have been in it, or why there is none, from the
   * customer's figures (read as of `now`) and consent choices.
   */
  async current(
    overTime: CustomerFiguresOverTime,
    consents: ConsentHistory | undefined,
    now: Date,
  ): Promise<CurrentSegment | WithheldSegment> {
    const at = now.toISOString();
    const context: RfmContext = { ledgerCurrency: this.config.ledgerCurrency, now: at };
    const choices = { consents };
    const measuresAt = (instant: string) => overTime.measures(instant);
    // Without a purchase, or with profiling withdrawn, the answer needs nobody else's figures.
    const alone = customerSegmentScoredBy(choices, withoutPopulation, at, context, measuresAt);
    if (isWithheldSegment(alone)) return alone;
    const buckets = await this.readModels.rfmPopulation();
    // The embedded stores answer synchronously: a turn for waiting requests before the walk.
    await yieldToEventLoop();
    const populations = new RfmPopulationWalk(buckets, at);
    const segmentAt = (instant: string) => {
      const population = populations.at(instant);
      return customerSegmentScoredBy(
        choices,
        (measures, counted) => population.score(measures, counted),
        instant,
        context,
        measuresAt,
      );
    };
    const current = segmentAt(at);
    if (isWithheldSegment(current)) return current;
    const since = segmentSince(current.segment, at, current.measures.firstPurchaseAt, (monthEnd) => {
      const then = segmentAt(monthEnd);
      return isWithheldSegment(then) ? null : then.segment;
    });
    const { segment, recency, frequency, monetary } = current;
    return { name: segment, ...since, asOf: at, recency, frequency, monetary };
  }
}

const withoutPopulation = (measures: RfmMeasures, counted: boolean) =>
  rfmScore(measures, rfmPopulation([], measures.lastPurchaseAt), counted);

/** Segment counts and the R x FM grid as of an instant (analytics and profiling consent honoured). */
export class ReadRfmReport extends Query<RfmReport> {
  constructor(
    readonly asOf: Date,
    readonly now: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadRfmReport)
export class ReadRfmReportHandler implements IQueryHandler<ReadRfmReport> {
  constructor(
    private readonly readModels: ReadModels,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async execute({ asOf, now }: ReadRfmReport): Promise<RfmReport> {
    const { ledgerCurrency } = this.config;
    const [scoring] = await this.readModels.rfmScorings([asOf.toISOString()], {
      ledgerCurrency,
      now: now.toISOString(),
    });
    return rfmReport(scoring!, ledgerCurrency);
  }
}

/** One member of a segment as an analyst sees it: a pseudonym, the scores and the raw measures. */
export interface SegmentMember {
  readonly pseudonym: string;
  readonly segment: RfmSegment;
  readonly recency: Quintile;
  readonly frequency: Quintile;
  readonly monetary: Quintile;
  readonly recencyDays: number;
  readonly purchases: number;
  readonly netSpend: { readonly amount: number; readonly currency: string };
}

export interface SegmentMembers {
  /** The segment asked for, or `all` (the CLI's full membership list). */
  readonly segment: RfmSegment | 'all';
  readonly asOf: string;
  /** Members in all; `members` lists the first `limit`, the highest net spend first. */
  readonly customers: number;
  readonly members: readonly SegmentMember[];
  readonly leftOutWithoutConsent: { readonly analytics: number; readonly profiling: number };
}

/** Who was in a segment (every segment when undefined) as of an instant, by pseudonym. */
export class ReadSegmentMembers extends Query<SegmentMembers> {
  constructor(
    readonly segment: string | undefined,
    readonly asOf: Date,
    readonly limit: number,
    readonly now: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadSegmentMembers)
export class ReadSegmentMembersHandler implements IQueryHandler<ReadSegmentMembers> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly pseudonyms: Pseudonyms,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async execute({ segment, asOf, limit, now }: ReadSegmentMembers): Promise<SegmentMembers> {
    if (segment !== undefined && !isRfmSegment(segment)) {
      throw new DomainError(
        'not-found',
        'unknown-segment',
        `no segment is named ${segment} (known: ${RFM_SEGMENTS.join(', ')})`,
        'segment',
      );
    }
    const { ledgerCurrency } = this.config;
    const [scoring] = await this.readModels.rfmScorings([asOf.toISOString()], {
      ledgerCurrency,
      now: now.toISOString(),
    });
    const members = [...scoring!.scored.values()]
      .filter((score) => segment === undefined || score.segment === segment)
      .sort(
        (a, b) =>
          // Spends in different currencies are not compared: the monetary score first, then the spend.
          b.monetary - a.monetary ||
          b.measures.monetaryMinor - a.measures.monetaryMinor ||
          a.measures.customerId.localeCompare(b.measures.customerId),
      );
    return {
      segment: segment ?? 'all',
      asOf: asOf.toISOString(),
      customers: members.length,
      members: members.slice(0, limit).map((score) => ({
        pseudonym: this.pseudonyms.of(score.measures.customerId),
        segment: score.segment,
        recency: score.recency,
        frequency: score.frequency,
        monetary: score.monetary,
        recencyDays: score.measures.recencyDays,
        purchases: score.measures.frequency,
        netSpend: {
          amount: toDecimal({
            amountMinor: score.measures.monetaryMinor,
            currency: score.measures.monetaryCurrency,
          }),
          currency: score.measures.monetaryCurrency,
        },
      })),
      leftOutWithoutConsent: scoring!.leftOutWithoutConsent,
    };
  }
}

/** How many customers moved from which segment to which between two instants. */
export class ReadSegmentTransitions extends Query<SegmentTransitions> {
  constructor(
    readonly from: Date,
    readonly to: Date,
    readonly now: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadSegmentTransitions)
export class ReadSegmentTransitionsHandler implements IQueryHandler<ReadSegmentTransitions> {
  constructor(
    private readonly readModels: ReadModels,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async execute({ from, to, now }: ReadSegmentTransitions): Promise<SegmentTransitions> {
    invalidRange(from.toISOString(), to.toISOString());
    const context = { ledgerCurrency: this.config.ledgerCurrency, now: now.toISOString() };
    const [atFrom, atTo] = await this.readModels.rfmScorings([from.toISOString(), to.toISOString()], context);
    return segmentTransitions(atFrom!, atTo!);
  }
}

/** Purchase cohorts by first-purchase month: retention matrix and revenue, from the cohort figure. */
export class ReadCohortReport extends Query<CohortReport> {
  constructor(
    readonly params: RangeAsOfParams,
    readonly now: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadCohortReport)
export class ReadCohortReportHandler implements IQueryHandler<ReadCohortReport> {
  constructor(
    private readonly readModels: ReadModels,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async execute({ params, now }: ReadCohortReport): Promise<CohortReport> {
    const from = iso(params.from);
    const to = iso(params.to);
    invalidRange(from, to);
    const query = {
      from,
      to,
      asOf: iso(params.asOf) ?? now.toISOString(),
      ledgerCurrency: this.config.ledgerCurrency,
      now: now.toISOString(),
    };
    const { buckets, cutDocuments } = await this.readModels.periodFigure<PurchaseHistory>(
      'purchase-history',
      purchaseCohortFigures,
      purchaseDaysFigure,
      cohortCutDays(query),
    );
    return cohortReportOfFigure(buckets, cutDocuments, query);
  }
}

/** Complaint counts, resolution and open backlog, from the complaint figure. */
export class ReadComplaintReport extends Query<ComplaintReport> {
  constructor(
    readonly params: RangeAsOfParams,
    readonly now: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadComplaintReport)
export class ReadComplaintReportHandler implements IQueryHandler<ReadComplaintReport> {
  constructor(private readonly readModels: ReadModels) {}

  async execute({ params, now }: ReadComplaintReport): Promise<ComplaintReport> {
    const from = iso(params.from);
    const to = iso(params.to);
    invalidRange(from, to);
    const query = { from, to, asOf: iso(params.asOf) ?? now.toISOString(), now: now.toISOString() };
    const cutDays = complaintCutDays(query);
    const { buckets, cutDocuments } = await this.readModels.periodFigure<ComplaintHistory>(
      'complaint-history',
      complaintFigures,
      complaintDaysFigure,
      cutDays,
    );
    const { report, oldestOpenIn } = complaintReportOfFigure(buckets, cutDocuments, query, cutDays);
    if (oldestOpenIn === undefined) return report;
    // The oldest open complaint: the day it was filed on (from its month's day buckets), then that day's histories.
    const day =
      oldestOpenIn.length === 10
        ? oldestOpenIn
        : oldestOpenDay(
            await this.readModels.figureBuckets(
              'complaint-history',
              complaintFigures.days,
              periodCover([`${oldestOpenIn}-01`]).days,
            ),
            cutDocuments,
            oldestOpenIn,
            query,
          );
    const filedThatDay = cutDays.includes(day)
      ? cutDocuments
      : await this.readModels.documentsOn('complaint-history', complaintDaysFigure, [day]);
    const oldestDays = oldestOpenDays(filedThatDay, day, query);
    return { ...report, backlog: { ...report.backlog, oldestDays } };
  }
}

/** NPS, CSAT and CES by month, from the satisfaction figure. */
export class ReadSatisfactionReport extends Query<SatisfactionReport> {
  constructor(
    readonly params: RangeParams,
    readonly now: Date,
  ) {
    super();
  }
}

@QueryHandler(ReadSatisfactionReport)
export class ReadSatisfactionReportHandler implements IQueryHandler<ReadSatisfactionReport> {
  constructor(private readonly readModels: ReadModels) {}

  async execute({ params, now }: ReadSatisfactionReport): Promise<SatisfactionReport> {
    const from = iso(params.from);
    const to = iso(params.to);
    invalidRange(from, to);
    const query = { from, to, now: now.toISOString() };
    const { buckets, cutDocuments } = await this.readModels.periodFigure<SurveyHistory>(
      'survey-history',
      satisfactionFigures,
      answerDaysFigure,
      satisfactionCutDays(query),
    );
    return satisfactionReportOfFigure(buckets, cutDocuments, query);
  }
}
