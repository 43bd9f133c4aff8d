import { IsEmail, IsISO31661Alpha2, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { CUSTOMER_ID_PATTERN } from '../../../domain/customer-events';
import { RecordingFieldsDto } from '../recording-fields.dto';

export const PHONE_PATTERN = /^\+?[0-9][0-9 ().-]{3,31}$/;

export class RegisterCustomerDto extends RecordingFieldsDto {
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: 'customerId must match ^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$' })
  customerId: string;

  @IsString() @Length(1, 200) name: string;
  @IsEmail() @MaxLength(254) email: string;
  @IsOptional()
  @IsString()
  @Matches(PHONE_PATTERN, { message: 'phone must be a phone number such as +44 20 7946 0958' })
  phone?: string;
  /** ISO 3166-1 alpha-2. */
  @IsOptional() @IsISO31661Alpha2() country?: string;
  /** Where the customer came from (campaign, shop, import). */
  @IsOptional() @IsString() @Length(1, 64) source?: string;
}
