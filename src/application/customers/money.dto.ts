import { Type } from 'class-transformer';
import { IsInt, IsNumber, IsObject, IsString, Length, Min, ValidateNested } from 'class-validator';
import { LineItem } from '../../domain/customer-events';
import { Money, money } from '../../domain/money';
import { FitsCurrency, IsCurrencyCode } from '../../validation/validators';

/** `{ "amount": 120.5, "currency": "EUR" }`: a decimal with at most the currency's minor digits. */
export class MoneyDto {
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @FitsCurrency()
  amount: number;

  @IsCurrencyCode()
  currency: string;
}

export class LineItemDto {
  @IsString()
  @Length(1, 128)
  sku: string;

  @IsInt()
  @Min(1)
  quantity: number;

  @IsObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  unitPrice: MoneyDto;
}

export function toMoney(dto: MoneyDto): Money {
  return money(dto.amount, dto.currency);
}

export function toLineItems(items: LineItemDto[] | undefined): LineItem[] | undefined {
  return items?.map((item) => ({
    sku: item.sku,
    quantity: item.quantity,
    unitPrice: toMoney(item.unitPrice),
  }));
}
