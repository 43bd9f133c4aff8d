import { IsBoolean, IsIn, IsString, Length } from 'class-validator';
import { CONSENT_PURPOSES, ConsentPurpose } from '../../../domain/customer-events';
import { RecordingFieldsDto } from '../recording-fields.dto';
import { IsOmittable } from '../../../validation/validators';

export class RecordConsentDto extends RecordingFieldsDto {
  @IsIn(CONSENT_PURPOSES) purpose: ConsentPurpose;
  /** true grants, false withdraws. */
  @IsBoolean() granted: boolean;
  /** GDPR Art. 6 basis, e.g. consent, contract, legitimate-interest. */
  @IsOmittable() @IsString() @Length(1, 64) legalBasis?: string;
}
