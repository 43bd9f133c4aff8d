import { IsEmail, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { PHONE_PATTERN } from '../register-customer/register-customer.dto';
import { RecordingFieldsDto } from '../recording-fields.dto';
import { IsOmittable } from '../../../validation/validators';

const noChange = (body: ChangeContactDetailsDto) =>
  body.name === undefined && body.email === undefined && body.phone === undefined;

export class ChangeContactDetailsDto extends RecordingFieldsDto {
  @ValidateIf((body: ChangeContactDetailsDto) => body.name !== undefined || noChange(body))
  @IsString({ message: 'name must be a string; a change needs at least one of name, email, phone' })
  @Length(1, 200)
  name?: string;

  @IsOmittable() @IsEmail() @MaxLength(254) email?: string;
  @IsOmittable()
  @IsString()
  @Matches(PHONE_PATTERN, { message: 'phone must be a phone number such as +44 20 7946 0958' })
  phone?: string;

  /** Why the details changed (customer request, bounce, correction). */
  @IsString() @Length(1, 500) reason: string;
}
