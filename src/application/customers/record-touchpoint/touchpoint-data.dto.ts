import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  IsUrl,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  COMPLAINT_SEVERITIES,
  ComplaintSeverity,
  CONTACT_DIRECTIONS,
  ContactDirection,
  ProductBrowsed,
  SURVEY_KINDS,
  SurveyKind,
} from '../../../domain/customer-events';
import { Touchpoint, TouchpointType } from '../../../domain/customer.decider';
import { LineItemDto, MoneyDto, toLineItems, toMoney } from '../money.dto';
import { IsOmittable, ScoreFitsKind } from '../../../validation/validators';

const ID_LENGTH = [1, 128] as const;

/**
 * A browse as clients send it, flat (stored as ProductBrowsed v2: `product` and `page`, see browsedData). A
 * productName or price describes the product, so it needs a productId.
 */
export class BrowseDataDto {
  @ValidateIf((data: BrowseDataDto) => data.productId === undefined)
  @IsUrl({ require_tld: false }, { message: 'url must be a URL; a browse needs a url or a productId' })
  @MaxLength(2048)
  url?: string;

  @ValidateIf(
    (data: BrowseDataDto) =>
      data.url === undefined || data.productName !== undefined || data.price !== undefined,
  )
  @IsString({
    message:
      'productId must be a string; a browse needs a url or a productId, and a productName or price needs a productId',
  })
  @Length(...ID_LENGTH)
  productId?: string;

  @IsOmittable() @IsString() @Length(1, 256) productName?: string;

  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  price?: MoneyDto;

  @IsOmittable() @IsString() @Length(1, 256) category?: string;
  @IsOmittable() @IsString() @Length(1, 512) title?: string;
  @IsOmittable() @IsString() @MaxLength(2048) referrer?: string;
  @IsOmittable() @IsString() @Length(1, 128) campaign?: string;
  @IsOmittable() @IsString() @Length(...ID_LENGTH) sessionId?: string;
}

export class CommitDataDto {
  @ValidateIf((data: CommitDataDto) => data.orderId === undefined)
  @IsString({ message: 'cartId must be a string; a commit needs a cartId or an orderId' })
  @Length(...ID_LENGTH)
  cartId?: string;

  @ValidateIf((data: CommitDataDto) => data.cartId === undefined)
  @IsString({ message: 'orderId must be a string; a commit needs a cartId or an orderId' })
  @Length(...ID_LENGTH)
  orderId?: string;

  @IsOmittable()
  @IsObject({ each: true })
  @ValidateNested()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @Type(() => LineItemDto)
  items?: LineItemDto[];

  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  value?: MoneyDto;
}

export class PurchaseDataDto {
  @IsString() @Length(...ID_LENGTH) orderId: string;

  @ValidateIf((data: PurchaseDataDto) => data.total === undefined || data.items !== undefined)
  @IsObject({ each: true })
  @ValidateNested()
  @ArrayMinSize(1, { message: 'items must hold at least one item; a purchase needs items or a total' })
  @ArrayMaxSize(1000)
  @Type(() => LineItemDto)
  items?: LineItemDto[];

  @ValidateIf((data: PurchaseDataDto) => data.items === undefined || data.total !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  total?: MoneyDto;
}

export class RefundDataDto {
  @IsString() @Length(...ID_LENGTH) orderId: string;
  @IsObject() @ValidateNested() @Type(() => MoneyDto) amount: MoneyDto;
  @IsOmittable() @IsString() @Length(1, 500) reason?: string;
}

export class SurveyDataDto {
  @IsOmittable() @IsString() @Length(...ID_LENGTH) surveyId?: string;
  @IsIn(SURVEY_KINDS) kind: SurveyKind;
  @IsInt() @ScoreFitsKind() score: number;
  @IsOmittable() @IsString() @MaxLength(5000) comment?: string;
  @IsOmittable() @IsString() @Length(...ID_LENGTH) orderId?: string;
}

export class ComplaintDataDto {
  @IsString() @Length(...ID_LENGTH) complaintId: string;
  @IsOmittable() @IsString() @Length(1, 256) category?: string;
  @IsIn(COMPLAINT_SEVERITIES) severity: ComplaintSeverity;
  @IsOmittable() @IsString() @MaxLength(50_000) description?: string;
  @IsOmittable() @IsString() @Length(...ID_LENGTH) orderId?: string;
}

export class ComplaintResolvedDataDto {
  @IsString() @Length(...ID_LENGTH) complaintId: string;
  @IsOmittable() @IsString() @MaxLength(50_000) resolution?: string;
  @IsOmittable() @IsBoolean() satisfied?: boolean;
}

export class ContactDataDto {
  @IsIn(CONTACT_DIRECTIONS) direction: ContactDirection;
  @IsOmittable() @IsString() @Length(1, 256) topic?: string;
  @IsOmittable() @IsString() @MaxLength(50_000) note?: string;
  @IsOmittable() @IsInt() @Min(0) @Max(86_400) durationSeconds?: number;
}

/** The data DTO of each touchpoint type and its mapping to the domain's touchpoint. */
export const TOUCHPOINT_DATA = {
  browse: {
    dto: BrowseDataDto,
    toTouchpoint: (data: BrowseDataDto): Touchpoint => ({ type: 'browse', data: browsedData(data) }),
  },
  commit: {
    dto: CommitDataDto,
    toTouchpoint: (data: CommitDataDto): Touchpoint => ({
      type: 'commit',
      data: {
        cartId: data.cartId,
        orderId: data.orderId,
        items: toLineItems(data.items),
        value: data.value && toMoney(data.value),
      },
    }),
  },
  purchase: {
    dto: PurchaseDataDto,
    toTouchpoint: (data: PurchaseDataDto): Touchpoint => {
      const items = toLineItems(data.items);
      return {
        type: 'purchase',
        data: { orderId: data.orderId, items, total: data.total ? toMoney(data.total) : sumOf(items!) },
      };
    },
  },
  refund: {
    dto: RefundDataDto,
    toTouchpoint: (data: RefundDataDto): Touchpoint => ({
      type: 'refund',
      data: { orderId: data.orderId, amount: toMoney(data.amount), reason: data.reason },
    }),
  },
  survey: {
    dto: SurveyDataDto,
    toTouchpoint: (data: SurveyDataDto): Touchpoint => ({ type: 'survey', data: { ...data } }),
  },
  complaint: {
    dto: ComplaintDataDto,
    toTouchpoint: (data: ComplaintDataDto): Touchpoint => ({ type: 'complaint', data: { ...data } }),
  },
  'complaint-resolved': {
    dto: ComplaintResolvedDataDto,
    toTouchpoint: (data: ComplaintResolvedDataDto): Touchpoint => ({
      type: 'complaint-resolved',
      data: { ...data },
    }),
  },
  contact: {
    dto: ContactDataDto,
    toTouchpoint: (data: ContactDataDto): Touchpoint => ({ type: 'contact', data: { ...data } }),
  },
} as const satisfies Record<TouchpointType, { dto: unknown; toTouchpoint: (data: never) => Touchpoint }>;

/**
 * ProductBrowsed v2 from the flat fields: as the v1 -> v2 upcaster places v1's fields (the category is the
 * product's when one is named, the page's otherwise), plus the product's name and price and the page's title.
 */
function browsedData(data: BrowseDataDto): ProductBrowsed['data'] {
  const { url, productId, productName, price, category, title, referrer, campaign, sessionId } = data;
  const page = { url, referrer, title, category: productId === undefined ? category : undefined };
  return {
    product:
      productId === undefined
        ? undefined
        : { id: productId, category, name: productName, price: price && toMoney(price) },
    page: Object.values(page).some((value) => value !== undefined) ? page : undefined,
    campaign,
    sessionId,
  };
}

function sumOf(items: NonNullable<ReturnType<typeof toLineItems>>) {
  const currency = items[0]!.unitPrice.currency;
  return {
    currency,
    amountMinor: items.reduce((sum, item) => sum + item.quantity * item.unitPrice.amountMinor, 0),
  };
}
