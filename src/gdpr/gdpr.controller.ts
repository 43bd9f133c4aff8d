import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles';
import { RecordingContext } from '../customers/customer-ledger';
import { CustomerIdPipe } from '../http/customer-id.pipe';
import { Recording } from '../http/recording-context.decorator';
import { ReadsPersonalData } from './access-log';
import { EraseCustomer, EraseCustomerParams } from './erase-customer.command';
import { ExportSubject, ReadAuditTrail, VerifyChains, VerifyParams } from './personal-data.queries';

@ApiTags('gdpr')
@Controller('v1')
export class GdprController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Delete('customers/:id')
  @Roles('admin')
  @ApiOperation({
    summary: 'Erase a customer (crypto-shredding) and report every store touched; repeating it is a no-op',
  })
  erase(
    @Param('id', CustomerIdPipe) customerId: string,
    @Query() params: EraseCustomerParams,
    @Recording() context: RecordingContext,
  ) {
    return this.commands.execute(new EraseCustomer(customerId, params, context));
  }

  @Get('customers/:id/export')
  @Roles('auditor', 'admin')
  @ReadsPersonalData('export')
  @ApiOperation({ summary: 'Subject access export (Art. 15/20): events decrypted, read models, access log' })
  export(@Param('id', CustomerIdPipe) customerId: string) {
    return this.queries.execute(new ExportSubject(customerId));
  }

  @Get('audit/customers/:id')
  @Roles('auditor')
  @ReadsPersonalData('audit-trail')
  @ApiOperation({
    summary:
      'Audit trail: every event with actor, channel and times, contact changes field by field, access log',
  })
  auditTrail(@Param('id', CustomerIdPipe) customerId: string) {
    return this.queries.execute(new ReadAuditTrail(customerId));
  }

  @Get('audit/verify')
  @Roles('auditor', 'admin')
  @ApiOperation({
    summary: 'Verify the hash chains of one customer or of the whole log; reports the first break',
  })
  verify(@Query() params: VerifyParams) {
    return this.queries.execute(new VerifyChains(params.customerId));
  }
}
