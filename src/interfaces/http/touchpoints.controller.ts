import { Roles } from '../../config/api-keys';
import { Body, Controller, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Recording } from './recording-context.decorator';
import { touchpointBatchSchema, touchpointSchema } from './openapi';
import { created } from './customers.controller';
import { RecordedOutcome, RecordingContext } from '../../application/customers/customer-ledger';
import { RecordTouchpoints } from '../../application/customers/record-touchpoint/record-touchpoints.command';
import { TouchpointBatchPipe, TouchpointBodyPipe } from './touchpoint-body.pipe';
import { ParsedTouchpoint } from '../../application/customers/record-touchpoint/touchpoint.dto';
import { Answers } from './openapi-operations';

@ApiTags('touchpoints')
@Controller('v1/touchpoints')
export class TouchpointsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @Roles('ingest', 'rep')
  @ApiOperation({ summary: 'Record a touchpoint (201; 200 with duplicate: true for a retried eventId)' })
  @ApiBody({ schema: touchpointSchema() })
  @Answers('RecordedOutcome', 201, 200)
  async record(
    @Body(TouchpointBodyPipe) touchpoint: ParsedTouchpoint,
    @Recording() context: RecordingContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordedOutcome> {
    const [outcome] = await this.commands.execute(new RecordTouchpoints([touchpoint], context));
    return created(reply, outcome!);
  }

  @Post('batch')
  @Roles('ingest')
  @ApiOperation({ summary: 'Record up to 1000 touchpoints, validated and stored all or nothing' })
  @ApiBody({ schema: touchpointBatchSchema() })
  @Answers('RecordedBatch', 201, 200)
  async recordBatch(
    @Body(TouchpointBatchPipe) touchpoints: ParsedTouchpoint[],
    @Recording() context: RecordingContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ results: RecordedOutcome[] }> {
    const results = await this.commands.execute(
      new RecordTouchpoints(touchpoints, { ...context, fieldPath: (index) => `touchpoints[${index}].` }),
    );
    void reply.status(results.every((result) => result.duplicate) ? 200 : 201);
    return { results };
  }
}
