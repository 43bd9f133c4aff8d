import { applyDecorators } from '@nestjs/common';
import { CUSTOM_ROUTE_ARGS_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ApiResponse, OpenAPIObject } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { Role, ROLES_METADATA } from '../../config/api-keys';
import { WRITE_KEY_METADATA } from './api-key.guard';
import { AnswerName } from './published-answers';

const REF_PREFIX = '#/components/schemas/';

/** A route handler: the controller class and the name of its method. */
export interface Handler {
  readonly controller: { readonly name: string; readonly prototype: object };
  readonly method: string;
}

/**
 * The answer body of a route: the published answer schema (published-answers.ts) under each of its success
 * statuses (200 when none is given).
 */
export const Answers = (name: AnswerName, ...statuses: number[]) =>
  applyDecorators(
    ...(statuses.length > 0 ? statuses : [200]).map((status) =>
      ApiResponse({
        status,
        description: name,
        content: { 'application/json': { schema: { $ref: REF_PREFIX + name } } },
      }),
    ),
  );

/** The error answers, each an application/problem+json ProblemDetails, by status. */
const ERRORS: Record<number, string> = {
  400: 'Invalid request: every invalid field named (body, path, query or header)',
  401: 'No API key, or one that is not known',
  403: "The API key lacks the endpoint's role",
  404: 'Nothing under this id (customer, subscription, projection, pseudonym)',
  409: 'Conflicts with what is recorded (a customer registered twice, an eventId reused with another body, ...)',
  410: 'The customer is erased',
  413: 'Body larger than 1 MiB',
  415: 'Body not application/json',
  422: "Breaks a rule of the customer's history (future occurredAt, merge into itself, ...)",
  503: 'Read-your-writes wait ran out, or the customer stream was contended: retry after Retry-After',
};

export const ERROR_RESPONSES: Record<string, ResponseObject> = Object.fromEntries(
  Object.entries(ERRORS).map(([status, description]) => [
    `Problem${status}`,
    {
      description,
      content: { 'application/problem+json': { schema: { $ref: `${REF_PREFIX}ProblemDetails` } } },
    },
  ]),
);

const metadataOf = <T>(key: string, { controller, method }: Handler): T | undefined =>
  (Reflect.getMetadata(key, (controller.prototype as Record<string, object>)[method]!) as T | undefined) ??
  (Reflect.getMetadata(key, controller) as T | undefined);

/** The query parameters of a route whose @Query() takes a whole DTO: one per property of the DTO's schema. */
function queryParameters(handler: Handler, dtos: Record<string, SchemaObject>): ParameterObject[] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, handler.controller, handler.method) ?? {}) as Record<
    string,
    { index: number; data?: unknown }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', handler.controller.prototype, handler.method) ??
    []) as { name: string }[];
  return Object.entries(args)
    .filter(([key, arg]) => key.startsWith(`${RouteParamtypes.QUERY}:`) && arg.data === undefined)
    .flatMap(([, arg]) => {
      const schema = dtos[types[arg.index]?.name ?? ''];
      if (!schema) return [];
      return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
        name,
        in: 'query' as const,
        required: schema.required?.includes(name) ?? false,
        schema: property as SchemaObject,
        // Lists are sent comma-separated: types=PurchaseCompleted,ComplaintFiled.
        ...((property as SchemaObject).type === 'array' && { style: 'form' as const, explode: false }),
      }));
    });
}

/** Whether the route takes the recording context (@Recording()): a write that records a fact. */
function takesRecordingContext(handler: Handler): boolean {
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, handler.controller, handler.method) ?? {};
  return Object.keys(args).some((key) => key.includes(CUSTOM_ROUTE_ARGS_METADATA));
}

/** The error statuses a route may answer, from its shape: roles, input, path parameters, what it writes. */
function errorStatuses(operation: OperationObject, handler: Handler, httpMethod: string): number[] {
  const parameters = (operation.parameters ?? []) as ParameterObject[];
  const statuses = new Set<number>();
  if (parameters.length > 0 || operation.requestBody) statuses.add(400);
  if (metadataOf<Role[]>(ROLES_METADATA, handler)) statuses.add(401).add(403);
  if (parameters.some((parameter) => parameter.in === 'path')) statuses.add(404);
  if (operation.requestBody) statuses.add(413).add(415);
  if (httpMethod === 'get' && parameters.some((parameter) => parameter.in === 'header')) statuses.add(503);
  if (httpMethod !== 'get' && takesRecordingContext(handler)) statuses.add(409).add(410).add(422).add(503);
  return [...statuses].sort();
}

/**
 * Describes every operation from its route's own metadata, so a route added later is described alike: its
 * security (the API key as bearer token where the route needs roles; trackers' write key as HTTP Basic where
 * it is accepted; none on public routes), the query parameters of its query DTO, and its error answers as
 * problem+json.
 */
export function describeOperations(
  document: OpenAPIObject,
  handlers: ReadonlyMap<string, Handler>,
  dtos: Record<string, SchemaObject>,
): void {
  for (const path of Object.values(document.paths)) {
    for (const httpMethod of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = path[httpMethod];
      const handler = operation?.operationId ? handlers.get(operation.operationId) : undefined;
      if (!operation || !handler) continue;
      const roles = metadataOf<Role[]>(ROLES_METADATA, handler);
      const writeKey = metadataOf<boolean>(WRITE_KEY_METADATA, handler) === true;
      operation.security = roles ? [...(writeKey ? [{ writeKey: [] }] : []), { apiKey: [] }] : [];
      if (roles) {
        operation.description = [operation.description, `Roles: ${roles.join(', ')}.`]
          .filter(Boolean)
          .join('\n\n');
      }
      const known = new Set(((operation.parameters ?? []) as ParameterObject[]).map((p) => p.name));
      operation.parameters = [
        ...(operation.parameters ?? []),
        ...queryParameters(handler, dtos).filter((parameter) => !known.has(parameter.name)),
      ];
      for (const status of errorStatuses(operation, handler, httpMethod)) {
        operation.responses[status] = { $ref: `#/components/responses/Problem${status}` };
      }
    }
  }
  document.components = { ...document.components, responses: ERROR_RESPONSES };
}
