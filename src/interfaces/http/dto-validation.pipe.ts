import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { RequestValidationError, validateAs } from '../../validation/request-validation';

const PLAIN_TYPES: unknown[] = [String, Boolean, Number, Array, Object];

/**
 * Validates bodies, queries and parameters declared with a DTO class: unknown fields are rejected and every
 * invalid field is listed.
 */
@Injectable()
export class DtoValidationPipe implements PipeTransform {
  transform(value: unknown, { metatype, type }: ArgumentMetadata): unknown {
    if (!metatype || type === 'custom' || PLAIN_TYPES.includes(metatype)) return value;
    const { value: dto, problems } = validateAs(
      metatype as new () => object,
      value ?? (type === 'query' ? {} : value),
    );
    if (problems.length > 0) throw new RequestValidationError(problems);
    return dto;
  }
}
