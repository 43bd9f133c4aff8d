import { IsString, Matches } from 'class-validator';
import { CUSTOMER_ID_PATTERN } from '../../../domain/customer-events';

export class MergeCustomersDto {
  /** The record to merge into the one named in the path (a customer id, or `anonymous:<anonymousId>`). */
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: `duplicateId must match ${CUSTOMER_ID_PATTERN.source}` })
  duplicateId!: string;
}
