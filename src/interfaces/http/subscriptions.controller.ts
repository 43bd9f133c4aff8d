import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../config/api-keys';
import { RecordingContext } from '../../application/customers/customer-ledger';
import {
  RegisterSubscription,
  RegisterSubscriptionDto,
} from '../../application/subscriptions/register-subscription.command';
import {
  ReplaySubscription,
  ReplaySubscriptionDto,
} from '../../application/subscriptions/replay-subscription.command';
import { RetryParkedDeliveries } from '../../application/subscriptions/retry-parked-deliveries.command';
import { StopSubscription } from '../../application/subscriptions/stop-subscription.command';
import {
  ListSubscriptions,
  ReadParkedDeliveries,
  ReadParkedDeliveriesParams,
  ReadSubscription,
} from '../../application/subscriptions/subscription.queries';
import { Recording } from './recording-context.decorator';
import { Answers } from './openapi-operations';

/** Outbound subscriptions (docs/subscriptions.md): admins only. */
@ApiTags('subscriptions')
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @Roles('admin')
  @ApiOperation({
    summary:
      'Register a downstream receiver: signed POSTs of the chosen event types (CustomerErased always), at least once, in log order; answers the signing secret once',
  })
  @Answers('RegisteredSubscription', 201)
  register(@Body() request: RegisterSubscriptionDto, @Recording() context: RecordingContext) {
    return this.commands.execute(new RegisterSubscription(request, context));
  }

  @Get()
  @Roles('admin')
  @ApiOperation({
    summary: 'Every subscription with position, lag, last delivery, failures and parked count',
  })
  @Answers('SubscriptionList')
  list() {
    return this.queries.execute(new ListSubscriptions());
  }

  @Get(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'One subscription with its delivery status' })
  @Answers('SubscriptionView')
  read(@Param('id') subscriptionId: string) {
    return this.queries.execute(new ReadSubscription(subscriptionId));
  }

  @Delete(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'Stop a subscription for good (its secret is shredded; the record stays)' })
  @Answers('SubscriptionView')
  stop(@Param('id') subscriptionId: string, @Recording() context: RecordingContext) {
    return this.commands.execute(new StopSubscription(subscriptionId, context));
  }

  @Get(':id/parked')
  @Roles('admin')
  @ApiOperation({ summary: 'Deliveries that failed every attempt, oldest first, each with its last error' })
  @Answers('ParkedDeliveriesPage')
  parked(@Param('id') subscriptionId: string, @Query() params: ReadParkedDeliveriesParams) {
    return this.queries.execute(new ReadParkedDeliveries(subscriptionId, params));
  }

  @Post(':id/replay')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Deliver again from a log position (at most the next one not yet handled); applied by the runner',
  })
  @Answers('ReplayAccepted', 202)
  replay(
    @Param('id') subscriptionId: string,
    @Body() request: ReplaySubscriptionDto,
    @Recording() context: RecordingContext,
  ) {
    return this.commands.execute(new ReplaySubscription(subscriptionId, request, context));
  }

  @Post(':id/parked/retry')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'One more attempt for each parked delivery (up to 100 per request); delivered ones leave the list',
  })
  @Answers('ParkedRetryReport')
  retryParked(@Param('id') subscriptionId: string) {
    return this.commands.execute(new RetryParkedDeliveries(subscriptionId));
  }
}
