import { Controller, Delete, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../config/api-keys';
import { RecordingContext } from '../../application/customers/customer-ledger';
import { CustomerIdPipe } from './customer-id.pipe';
import { Recording } from './recording-context.decorator';
import { ReadsPersonalData } from './access-log.interceptor';
import { EraseCustomer, EraseCustomerParams } from '../../application/gdpr/erase-customer.command';
import {
  ExportSubject,
  JsonPieces,
  ReadAuditTrail,
  ResolvePseudonym,
  VerifyChains,
  VerifyParams,
} from '../../application/gdpr/personal-data.queries';
import { PseudonymPipe } from './pseudonym.pipe';
import { RedirectsMergedRecords } from './merged-record.redirect';
import { Answers } from './openapi-operations';

@ApiTags('gdpr')
@Controller('v1')
@RedirectsMergedRecords()
export class GdprController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Delete('customers/:id')
  @Roles('admin')
  @ApiOperation({
    summary:
      'Erase a customer (crypto-shredding) and report every store touched; a repeat answers the original report',
  })
  @Answers('ErasureReport')
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
  @Answers('SubjectExport')
  async export(@Param('id', CustomerIdPipe) customerId: string) {
    return jsonStream(await this.queries.execute(new ExportSubject(customerId)));
  }

  @Get('audit/customers/:id')
  @Roles('auditor')
  @ReadsPersonalData('audit-trail')
  @ApiOperation({
    summary:
      'Audit trail: every event with actor, channel and times, contact changes field by field, access log',
  })
  @Answers('AuditTrail')
  async auditTrail(@Param('id', CustomerIdPipe) customerId: string) {
    return jsonStream(await this.queries.execute(new ReadAuditTrail(customerId)));
  }

  @Get('audit/verify')
  @Roles('auditor', 'admin')
  @ApiOperation({
    summary:
      "Verify one customer's streams (chains, heads) or the whole log (chains, positions, every stream head, the store's counts); reports the first break",
    description:
      'Checks content, order and completeness against what the store recorded. Holding the log against a signed anchor (proof against someone able to rewrite the database) is done offline: `ledger verify --against <anchor>`.',
  })
  @Answers('VerificationReport')
  verify(@Query() params: VerifyParams) {
    return this.queries.execute(new VerifyChains(params.customerId));
  }

  @Get('pseudonyms/:pseudonym')
  @Roles('auditor', 'admin')
  @ApiOperation({
    summary: 'Resolve an analyst pseudonym to the customer id; the resolution is entered in the access log',
  })
  @Answers('PseudonymResolution')
  resolvePseudonym(
    @Param('pseudonym', PseudonymPipe) pseudonym: string,
    @Recording() context: RecordingContext,
  ) {
    return this.queries.execute(
      new ResolvePseudonym(pseudonym, {
        actor: context.actor,
        requestId: context.causationId,
        attribution: context.attribution,
      }),
    );
  }
}

/** A JSON answer streamed into the reply piece by piece as the query writes it. */
function jsonStream(pieces: JsonPieces): StreamableFile {
  return new StreamableFile(Readable.from(pieces), { type: 'application/json; charset=utf-8' });
}
