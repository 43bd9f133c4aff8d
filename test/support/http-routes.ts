import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, SSE_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { PUBLIC_METADATA, Role, ROLES_METADATA } from '../../src/config/api-keys';

/** One route the application serves, as its controllers declare it. */
export interface HttpRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path pattern, e.g. `/v1/customers/:id`. */
  readonly path: string;
  /** `Controller.method`, for messages. */
  readonly handler: string;
  /** The roles it declares (@Roles), undefined when none. */
  readonly roles?: readonly Role[];
  /** Whether it declares itself public (@Public). */
  readonly isPublic: boolean;
  /** Whether it answers a server-sent event stream (which does not end). */
  readonly isEventStream: boolean;
}

const METHODS: Partial<Record<RequestMethod, HttpRoute['method']>> = {
  [RequestMethod.GET]: 'GET',
  [RequestMethod.POST]: 'POST',
  [RequestMethod.PUT]: 'PUT',
  [RequestMethod.PATCH]: 'PATCH',
  [RequestMethod.DELETE]: 'DELETE',
};

const paths = (value: unknown): string[] => (Array.isArray(value) ? value : [value ?? '']).map(String);
const join = (...parts: string[]) =>
  `/${parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/')}`;

/**
 * Every route of the application's controllers, found the way Nest finds them (the controllers of every module,
 * each method with a request-method decorator), with the roles the API-key guard reads (handler, then class).
 */
export function discoverRoutes(app: INestApplication): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      const controller = metatype as { name: string; prototype: Record<string, unknown> };
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const target = controller.prototype[name];
        if (typeof target !== 'function') continue;
        const requestMethod = Reflect.getMetadata(METHOD_METADATA, target) as RequestMethod | undefined;
        const method = requestMethod === undefined ? undefined : METHODS[requestMethod];
        if (!method) continue;
        const metadata = <T>(key: string): T | undefined =>
          Reflect.getMetadata(key, target) ?? Reflect.getMetadata(key, controller);
        for (const prefix of paths(Reflect.getMetadata(PATH_METADATA, controller))) {
          for (const path of paths(Reflect.getMetadata(PATH_METADATA, target))) {
            routes.push({
              method,
              path: join(prefix, path),
              handler: `${controller.name}.${name}`,
              roles: metadata<Role[]>(ROLES_METADATA),
              isPublic: metadata<boolean>(PUBLIC_METADATA) === true,
              isEventStream: Reflect.getMetadata(SSE_METADATA, target) === true,
            });
          }
        }
      }
    }
  }
  return routes;
}
