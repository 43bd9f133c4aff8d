import { Injectable, PipeTransform } from '@nestjs/common';
import { RequestValidationError } from '../../validation/request-validation';
import { PSEUDONYM_PATTERN } from '../../privacy/pseudonyms';

/** Validates a `:pseudonym` path parameter's shape; whether it resolves is the query's business. */
@Injectable()
export class PseudonymPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!PSEUDONYM_PATTERN.test(value)) {
      throw new RequestValidationError([
        { field: 'pseudonym', message: 'must be a pseudonym as the analytics answers give it (p-...)' },
      ]);
    }
    return value;
  }
}
