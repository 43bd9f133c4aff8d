import { Injectable, PipeTransform } from '@nestjs/common';
import { CUSTOMER_ID_PATTERN } from '../../domain/customer-events';
import { RequestValidationError } from '../../validation/request-validation';

/** Validates a `:id` path parameter as a customer id. */
@Injectable()
export class CustomerIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!CUSTOMER_ID_PATTERN.test(value)) {
      throw new RequestValidationError([
        { field: 'customerId', message: 'must match ^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$' },
      ]);
    }
    return value;
  }
}
