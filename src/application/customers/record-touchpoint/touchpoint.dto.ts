import { IsIn, IsObject } from 'class-validator';
import { LineItem } from '../../../domain/customer-events';
import { Touchpoint, TOUCHPOINT_TYPES, TouchpointType } from '../../../domain/customer.decider';
import { Money } from '../../../domain/money';
import { RecordingFieldsDto } from '../recording-fields.dto';
import { IsNewCustomerId } from '../../../validation/validators';
import { FieldProblem, validateAs } from '../../../validation/request-validation';
import { TOUCHPOINT_DATA } from './touchpoint-data.dto';

export const MAX_BATCH_SIZE = 1000;

/** The API's touchpoint: an envelope around type-specific `data`. */
export class TouchpointDto extends RecordingFieldsDto {
  @IsNewCustomerId()
  customerId: string;

  @IsIn(TOUCHPOINT_TYPES)
  type: TouchpointType;

  @IsObject()
  data: Record<string, unknown>;
}

export interface ParsedTouchpoint {
  readonly envelope: TouchpointDto;
  readonly touchpoint: Touchpoint;
}

/** Validates a touchpoint body (envelope, then the data of its type), listing every problem under `path`. */
export function parseTouchpoint(
  plain: unknown,
  path = '',
): { parsed?: ParsedTouchpoint; problems: FieldProblem[] } {
  const { value: envelope, problems } = validateAs(TouchpointDto, plain, path);
  const spec =
    envelope && TOUCHPOINT_TYPES.includes(envelope.type) ? TOUCHPOINT_DATA[envelope.type] : undefined;
  if (!spec || typeof envelope.data !== 'object' || envelope.data === null) return { problems };
  const data = validateAs(spec.dto as new () => object, envelope.data, `${path}data.`);
  problems.push(...data.problems);
  if (problems.length > 0) return { problems };
  const touchpoint = (spec.toTouchpoint as (data: object) => Touchpoint)(data.value);
  problems.push(...currencyProblems(touchpoint, `${path}data.`));
  return problems.length > 0 ? { problems } : { parsed: { envelope, touchpoint }, problems };
}

/** All amounts of one touchpoint must be in one currency. */
function currencyProblems(touchpoint: Touchpoint, path: string): FieldProblem[] {
  const amounts: [string, Money][] = [];
  const data = touchpoint.data as { items?: LineItem[]; total?: Money; value?: Money };
  if (data.total) amounts.push(['total.currency', data.total]);
  if (data.value) amounts.push(['value.currency', data.value]);
  data.items?.forEach((item, index) => amounts.push([`items[${index}].unitPrice.currency`, item.unitPrice]));
  const currency = amounts[0]?.[1].currency;
  return amounts
    .filter(([, amount]) => amount.currency !== currency)
    .map(([field]) => ({
      field: path + field,
      message: `must be ${currency}, the currency of the rest of this touchpoint`,
    }));
}
