import { IsEmail, IsISO31661Alpha2, IsString, Length, Matches, MaxLength } from 'class-validator';
import { RecordingFieldsDto } from '../recording-fields.dto';
import { IsNewCustomerId, IsOmittable } from '../../../validation/validators';

export const PHONE_PATTERN = /^\+?[0-9][0-9 ().-]{3,31}$/;

export class RegisterCustomerDto extends RecordingFieldsDto {
  @IsNewCustomerId()
  customerId: string;

  @IsString() @Length(1, 200) name: string;
  @IsEmail() @MaxLength(254) email: string;
  @IsOmittable()
  @IsString()
  @Matches(PHONE_PATTERN, { message: 'phone must be a phone number such as +44 20 7946 0958' })
  phone?: string;
  /** ISO 3166-1 alpha-2. */
  @IsOmittable() @IsISO31661Alpha2() country?: string;
  /** Where the customer came from (campaign, shop, import). */
  @IsOmittable() @IsString() @Length(1, 64) source?: string;
}
