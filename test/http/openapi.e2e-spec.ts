// The test app first: it loads Nest (and reflect-metadata) before any DTO is decorated.
import { LedgerTestApp } from '../support/ledger-app';
import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * Warnings of redocly's recommended rules that the document keeps, and why. `info-license`: the service is
 * UNLICENSED (no licence is granted), and OpenAPI's license object needs a licence URL or SPDX id to point at.
 */
const EXPLAINED_WARNINGS = ['info-license'];
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('the OpenAPI document the service serves at /docs-json', () => {
  let ledger: LedgerTestApp;
  let document: OpenAPIObject;
  let text: string;

  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
    const response = await ledger.app.inject({ method: 'GET', url: '/docs-json' });
    expect(response.statusCode).toBe(200);
    text = response.body;
    document = JSON.parse(text) as OpenAPIObject;
  });
  afterAll(async () => {
    await ledger.stop();
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method]! })),
    );

  it('passes @apidevtools/swagger-parser validate', async () => {
    await expect(SwaggerParser.validate(JSON.parse(text) as never)).resolves.toBeDefined();
  });

  it("passes redocly's recommended rules: no error, only the explained warnings", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: text, absoluteRef: '/docs-json', config });
    const described = problems.map(
      (problem) =>
        `${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer}: ${problem.message}`,
    );
    expect(described.filter((problem) => problem.startsWith('error'))).toEqual([]);
    expect(problems.filter((problem) => !EXPLAINED_WARNINGS.includes(problem.ruleId))).toEqual([]);
  });

  it('names its server and declares the security of every operation', () => {
    expect(document.servers?.length).toBeGreaterThan(0);
    expect(document.components?.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      writeKey: expect.objectContaining({ type: 'http', scheme: 'basic' }),
    });
    const security = Object.fromEntries(
      operations().map(({ path, method, operation }) => [`${method} ${path}`, operation.security]),
    );
    for (const [route, declared] of Object.entries(security)) {
      expect([route, declared]).toEqual([route, expect.any(Array)]);
      if (route.startsWith('get /v1/') || route.startsWith('post /v1/')) {
        expect([route, declared]).toEqual([route, [{ apiKey: [] }]]);
      }
      if (route.startsWith('post /tracking/')) {
        expect([route, declared]).toEqual([route, [{ writeKey: [] }, { apiKey: [] }]]);
      }
    }
    expect(security['get /health']).toEqual([]);
    expect(security['get /metrics']).toEqual([]);
  });

  it('gives every operation an answer body and its errors as problem+json', () => {
    for (const { path, method, operation } of operations()) {
      const success = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect([method, path, success.length > 0]).toEqual([method, path, true]);
      for (const [, answer] of success) {
        expect([method, path, Object.keys((answer as { content?: object }).content ?? {}).length]).toEqual([
          method,
          path,
          1,
        ]);
      }
      if (path.startsWith('/v1/')) {
        expect([method, path, operation.responses['401'], operation.responses['403']]).toEqual([
          method,
          path,
          { $ref: '#/components/responses/Problem401' },
          { $ref: '#/components/responses/Problem403' },
        ]);
      }
      if (path.includes('{')) {
        expect([method, path, operation.responses['404']]).toEqual([
          method,
          path,
          { $ref: '#/components/responses/Problem404' },
        ]);
      }
      if (operation.requestBody) {
        for (const status of ['400', '413', '415']) {
          expect([method, path, status, operation.responses[status]]).toEqual([
            method,
            path,
            status,
            { $ref: `#/components/responses/Problem${status}` },
          ]);
        }
      }
    }
    expect(document.components?.responses?.Problem400).toEqual({
      description: expect.any(String),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
    });
    expect(document.paths['/v1/customers']!.post!.responses['409']).toBeDefined();
  });

  it('declares the query parameters of every read', () => {
    const queryOf = (path: string) =>
      (document.paths[path]!.get!.parameters as { name: string; in: string }[])
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => parameter.name)
        .sort();
    expect(queryOf('/v1/customers')).toEqual(['email', 'minPosition']);
    expect(queryOf('/v1/customers/{id}/timeline')).toEqual(
      ['by', 'cursor', 'from', 'limit', 'minPosition', 'to', 'types'].sort(),
    );
    expect(queryOf('/v1/customers/{id}/loyalty')).toEqual(['asOf', 'minPosition']);
    expect(queryOf('/v1/analytics/segments/transitions')).toEqual(['from', 'minPosition', 'to']);
    const email = (
      document.paths['/v1/customers']!.get!.parameters as { name: string; required: boolean }[]
    ).find((parameter) => parameter.name === 'email');
    expect(email?.required).toBe(true);
  });

  it('publishes no internal schema, and every schema it publishes is used', () => {
    const schemas = Object.keys(document.components?.schemas ?? {});
    expect(schemas).not.toContain('EnvironmentVariables');
    expect(schemas.filter((name) => name.endsWith('Params'))).toEqual([]);
    const used = new Set([...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1]));
    expect(schemas.filter((name) => !used.has(name))).toEqual([]);
  });

  it('serves Swagger UI at /docs', async () => {
    const page = await ledger.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
  });
});
