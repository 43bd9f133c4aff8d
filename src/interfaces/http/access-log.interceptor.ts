import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, Observable, switchMap } from 'rxjs';
import { AccessLog, PersonalDataResource } from '../../privacy/access-log';
import { ANONYMOUS, attributionOfRequest } from './recording-context.decorator';
import { StaffRequest } from './auth/staff-session.resolver';

const RESOURCE_METADATA = 'ledger:personal-data-resource';

@Injectable()
export class AccessLogInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessLog: AccessLog,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const resource = this.reflector.get<PersonalDataResource | undefined>(
      RESOURCE_METADATA,
      context.getHandler(),
    );
    if (!resource) return next.handle();
    const request = context.switchToHttp().getRequest<StaffRequest & { params: { id?: string } }>();
    return next
      .handle()
      .pipe(
        switchMap((body) =>
          from(
            this.accessLog
              .record(
                request.params.id!,
                request.principal ?? ANONYMOUS,
                resource,
                request.id,
                attributionOfRequest(request),
              )
              .then(() => body),
          ),
        ),
      );
  }
}

/**
 * Marks an endpoint (with a `:id` customer parameter) whose successful answers are entered in the access log.
 * The interceptor is bound to these endpoints only, so ingest pays nothing for it.
 */
export const ReadsPersonalData = (resource: PersonalDataResource) =>
  applyDecorators(SetMetadata(RESOURCE_METADATA, resource), UseInterceptors(AccessLogInterceptor));
