import { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { ValidationTypes } from 'class-validator';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { ISchemaConverters } from 'class-validator-jsonschema/build/defaultConverters';
import { TOUCHPOINT_DATA } from '../../application/customers/record-touchpoint/touchpoint-data.dto';
import { MAX_BATCH_SIZE } from '../../application/customers/record-touchpoint/touchpoint.dto';
import { EVENT_CATALOG } from '../../domain/customer-events';
import { describeMinPosition } from './consistent-read.guard';
import { describeOperations, Handler } from './openapi-operations';
import { AnswerName } from './published-answers';
import publishedAnswers from './published-answers.schema.json';

export const REF_PREFIX = '#/components/schemas/';

/** A reference to the JSON schema generated from a DTO's class-validator rules. */
export function schemaOf(type: { name: string }) {
  return { $ref: REF_PREFIX + type.name };
}

/** A reference to a published answer schema (generated from the answer types: published-answers.ts). */
export function answerSchema(name: AnswerName) {
  return { $ref: REF_PREFIX + name };
}

/** `complaint-resolved` -> `ComplaintResolvedTouchpoint`: the schema of a touchpoint of that type. */
const touchpointSchemaName = (type: string) =>
  type.replace(/(^|-)(.)/g, (_, _dash: string, letter: string) => letter.toUpperCase()) + 'Touchpoint';

/**
 * The touchpoint body: one variant per type, `type` its discriminator and `data` the object of that type, so a
 * generated client types a purchase's data as a purchase's.
 */
export function touchpointSchema() {
  return {
    oneOf: Object.keys(TOUCHPOINT_DATA).map((type) => ({ $ref: REF_PREFIX + touchpointSchemaName(type) })),
    discriminator: {
      propertyName: 'type',
      mapping: Object.fromEntries(
        Object.keys(TOUCHPOINT_DATA).map((type) => [type, REF_PREFIX + touchpointSchemaName(type)]),
      ),
    },
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

/** The touchpoint variants, each the envelope's schema with its own `type` and `data`. */
function touchpointVariants(envelope: SchemaObject): Record<string, SchemaObject> {
  return Object.fromEntries(
    Object.entries(TOUCHPOINT_DATA).map(([type, spec]) => [
      touchpointSchemaName(type),
      {
        ...envelope,
        description: `A touchpoint of type ${type}: data is a ${spec.dto.name}`,
        properties: {
          ...envelope.properties,
          type: { type: 'string', enum: [type] },
          data: schemaOf(spec.dto),
        },
      },
    ]),
  );
}

/**
 * JSON schemas of the validators class-validator-jsonschema does not know (it would refer to the property's
 * design type, such as `Object`); any other unknown one is described as any value rather than a dangling ref.
 */
const CUSTOM_VALIDATOR_SCHEMAS: ISchemaConverters = {
  isIsoTimestamp: { type: 'string', format: 'date-time' },
  isWebhookUrl: { type: 'string', format: 'uri' },
  isCurrencyCode: { type: 'string', pattern: '^[A-Z]{3}$' },
  isEventTypeSelection: {
    oneOf: [
      { type: 'string', enum: ['all'] },
      { type: 'array', minItems: 1, uniqueItems: true, items: { enum: Object.keys(EVENT_CATALOG) } },
    ],
  },
  isStartFrom: {
    oneOf: [
      { type: 'string', enum: ['now', 'beginning'] },
      { type: 'integer', minimum: 0 },
    ],
  },
  [ValidationTypes.CUSTOM_VALIDATION]: {},
  // A nested DTO by reference, and a list of them as an array of references (the library would put the ref
  // beside `type: array`).
  [ValidationTypes.NESTED_VALIDATION]: (meta, options) => {
    const target = meta.target as { prototype: object };
    const nested = defaultMetadataStorage
      .findTypeMetadata(meta.target as () => void, meta.propertyName)
      ?.typeFunction() as { name: string } | undefined;
    const ref = { $ref: options.refPointerPrefix + (nested?.name ?? 'Object') };
    return Reflect.getMetadata('design:type', target.prototype, meta.propertyName) === Array
      ? { type: 'array', items: ref }
      : ref;
  },
};

/** Every schema a class-validator DTO yields, nested DTOs (arrays included) referred to by name. */
function dtoSchemas(): Record<string, SchemaObject> {
  return validationMetadatasToSchemas({
    refPointerPrefix: REF_PREFIX,
    classTransformerMetadataStorage: defaultMetadataStorage,
    additionalConverters: CUSTOM_VALIDATOR_SCHEMAS,
  }) as Record<string, SchemaObject>;
}

/** The answer schemas generated from published-answers.ts: the named answers and the types they refer to. */
function answerSchemas(): Record<string, SchemaObject> {
  const generated = JSON.parse(
    JSON.stringify(publishedAnswers).replaceAll('"#/definitions/', `"${REF_PREFIX}`),
  ) as { properties: Record<string, SchemaObject>; definitions: Record<string, SchemaObject> };
  const named = Object.entries(generated.properties).filter(
    ([name, schema]) => (schema as { $ref?: string }).$ref !== REF_PREFIX + name,
  );
  return { ...generated.definitions, ...Object.fromEntries(named) };
}

/** Only the schemas the operations refer to, directly or through other schemas: internal ones stay out. */
function referencedSchemas(
  document: OpenAPIObject,
  schemas: Record<string, SchemaObject>,
): Record<string, SchemaObject> {
  const kept: Record<string, SchemaObject> = {};
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(REF_PREFIX)) {
        const name = value.slice(REF_PREFIX.length);
        if (kept[name] || !schemas[name]) continue;
        kept[name] = schemas[name];
        visit(schemas[name]);
      } else if (key !== 'mapping') {
        visit(value);
      }
    }
  };
  visit([document.paths, document.components?.responses]);
  return Object.fromEntries(
    Object.keys(kept)
      .sort()
      .map((name) => [name, kept[name]!]),
  );
}

/** Every route handler of the application, by the operationId Nest's document gives it. */
function routeHandlers(app: INestApplication): Map<string, Handler> {
  const handlers = new Map<string, Handler>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      const controller = metatype as Handler['controller'];
      for (const method of Object.getOwnPropertyNames(controller.prototype)) {
        if (method !== 'constructor') handlers.set(`${controller.name}_${method}`, { controller, method });
      }
    }
  }
  return handlers;
}

/**
 * The OpenAPI 3.1 document of the service: request schemas generated from the validation rules themselves,
 * answer schemas from the types the handlers return, and for every operation its security, parameters and
 * error answers derived from the route's own metadata (openapi-operations.ts).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Customer-interaction ledger')
    .setDescription(
      'Immutable customer touchpoints, hash-chained per customer, personal data encrypted. Errors are application/problem+json (RFC 7807). ' +
        'Authentication: an API key as HTTP bearer token (`Authorization: Bearer <key>`); trackers send their write key as HTTP Basic user name on /tracking. ' +
        'See docs/api.md.',
    )
    .setVersion('1')
    .addServer('/', 'This service')
    .build();
  const dtos = dtoSchemas();
  const document = describeMinPosition(SwaggerModule.createDocument(app, config));
  describeOperations(document, routeHandlers(app), dtos);
  const schemas = {
    ...dtos,
    ...touchpointVariants(dtos.TouchpointDto!),
    ...answerSchemas(),
  };
  document.components = {
    ...document.components,
    securitySchemes: {
      apiKey: {
        type: 'http',
        scheme: 'bearer',
        description:
          'An API key (16 to 256 printable characters) as bearer token; its roles decide the endpoints',
      },
      writeKey: {
        type: 'http',
        scheme: 'basic',
        description:
          "A tracker's write key (an API key with the ingest role) as Basic user name, empty password",
      },
    },
    schemas: referencedSchemas(document, schemas),
  };
  return document;
}

/** OpenAPI at /docs (JSON at /docs-json). */
export function setUpOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document);
  return document;
}
