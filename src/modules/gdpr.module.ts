import { Module } from '@nestjs/common';
import { CustomersModule } from './customers.module';
import { EraseCustomerHandler } from '../application/gdpr/erase-customer.command';
import {
  ExportSubjectHandler,
  FindCustomersByEmailHandler,
  ReadAuditTrailHandler,
  ResolvePseudonymHandler,
  VerifyChainsHandler,
} from '../application/gdpr/personal-data.queries';

/** GDPR: erasure, subject export, the audit trail, finding a customer by e-mail or pseudonym, verification. */
@Module({
  imports: [CustomersModule],
  providers: [
    EraseCustomerHandler,
    ExportSubjectHandler,
    ReadAuditTrailHandler,
    VerifyChainsHandler,
    FindCustomersByEmailHandler,
    ResolvePseudonymHandler,
  ],
})
export class GdprModule {}
