import { Injectable, PipeTransform } from '@nestjs/common';
import { FieldProblem, RequestValidationError } from '../../validation/request-validation';
import {
  MAX_BATCH_SIZE,
  ParsedTouchpoint,
  parseTouchpoint,
} from '../../application/customers/record-touchpoint/touchpoint.dto';

/** Validates `POST /v1/touchpoints`: the envelope and the data of its type, every problem listed. */
@Injectable()
export class TouchpointBodyPipe implements PipeTransform<unknown, ParsedTouchpoint> {
  transform(body: unknown): ParsedTouchpoint {
    const { parsed, problems } = parseTouchpoint(body);
    if (!parsed) throw new RequestValidationError(problems);
    return parsed;
  }
}

/** Validates `POST /v1/touchpoints/batch`: all touchpoints or none. */
@Injectable()
export class TouchpointBatchPipe implements PipeTransform<unknown, ParsedTouchpoint[]> {
  transform(body: unknown): ParsedTouchpoint[] {
    const touchpoints = (body as { touchpoints?: unknown } | null)?.touchpoints;
    const problems: FieldProblem[] = [];
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new RequestValidationError([
        { field: 'body', message: 'must be a JSON object with touchpoints' },
      ]);
    }
    for (const key of Object.keys(body)) {
      if (key !== 'touchpoints') problems.push({ field: key, message: 'is not a known field' });
    }
    if (!Array.isArray(touchpoints) || touchpoints.length === 0 || touchpoints.length > MAX_BATCH_SIZE) {
      problems.push({
        field: 'touchpoints',
        message: `must be an array of 1 to ${MAX_BATCH_SIZE} touchpoints`,
      });
      throw new RequestValidationError(problems);
    }
    const parsed = touchpoints.map((touchpoint, index) => {
      const result = parseTouchpoint(touchpoint, `touchpoints[${index}].`);
      problems.push(...result.problems);
      return result.parsed;
    });
    if (problems.length > 0) throw new RequestValidationError(problems);
    return parsed as ParsedTouchpoint[];
  }
}
