import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { TOUCHPOINT_DATA } from '../../application/customers/record-touchpoint/touchpoint-data.dto';
import { MAX_BATCH_SIZE } from '../../application/customers/record-touchpoint/touchpoint.dto';
import { describeMinPosition } from './consistent-read.guard';

const REF_PREFIX = '#/components/schemas/';

/** A reference to the JSON schema generated from a DTO's class-validator rules. */
export function schemaOf(type: { name: string }) {
  return { $ref: REF_PREFIX + type.name };
}

export function touchpointSchema() {
  return {
    allOf: [schemaOf({ name: 'TouchpointDto' })],
    description:
      'data is the object of the touchpoint type: ' +
      Object.entries(TOUCHPOINT_DATA)
        .map(([type, spec]) => `${type} -> ${spec.dto.name}`)
        .join(', '),
    properties: { data: { oneOf: Object.values(TOUCHPOINT_DATA).map((spec) => schemaOf(spec.dto)) } },
  };
}

export function touchpointBatchSchema() {
  return {
    type: 'object',
    required: ['touchpoints'],
    additionalProperties: false,
    properties: {
      touchpoints: { type: 'array', minItems: 1, maxItems: MAX_BATCH_SIZE, items: touchpointSchema() },
    },
  };
}

/** OpenAPI at /docs (JSON at /docs-json), with schemas generated from the validation rules themselves. */
export function setUpOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Customer-interaction ledger')
    .setDescription(
      'Immutable customer touchpoints, hash-chained per customer, personal data encrypted. Errors are application/problem+json (RFC 7807).',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = describeMinPosition(SwaggerModule.createDocument(app, config));
  const schemas = validationMetadatasToSchemas({ refPointerPrefix: REF_PREFIX });
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...(schemas as object) },
  };
  SwaggerModule.setup('docs', app, document);
  return document;
}
