import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { CUSTOMER_STREAM_PREFIX } from '../../../projections/projection';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { piiFieldsOf } from '../../domain/customer-events';
import { RecordedEvent } from '../../ports/event-store.port';
import { AccessLog } from '../../privacy/access-log';
import { ERASED_VALUE, PiiCipher } from '../../privacy/pii-cipher';
import { OutboundEvent, Payload, payloadOf } from './delivery-payload';
import { DeliveryPolicy, deliveryPolicyOf } from './delivery-policy';
import { Subscription } from './subscription';
import {
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
  SUBSCRIPTION_ID_HEADER,
} from './webhook-signature';
import { postWebhook, SendOutcome } from './webhook-sender';
import { WebhookTargets } from './webhook-targets';

/** The customer of a stored event, or undefined for streams that are not customer streams (access logs). */
export function deliveredCustomerOf(event: Pick<RecordedEvent, 'streamId'>): string | undefined {
  return event.streamId.startsWith(CUSTOMER_STREAM_PREFIX)
    ? event.streamId.slice(CUSTOMER_STREAM_PREFIX.length)
    : undefined;
}

/**
 * One attempt to deliver one event to one subscription: shape it (personal data decrypted or left out),
 * enter a read of personal data in the customer's access log, sign it and POST it. Each attempt shapes the
 * event anew, so that a retry after the customer's erasure carries `[erased]`, not what was read before.
 */
@Injectable()
export class EventDelivery {
  readonly policy: DeliveryPolicy;

  constructor(
    private readonly cipher: PiiCipher,
    private readonly accessLog: AccessLog,
    private readonly targets: WebhookTargets,
    @Inject(LEDGER_CONFIG) config: LedgerConfig,
  ) {
    this.policy = deliveryPolicyOf(config.subscriptionDelivery);
  }

  /**
   * Sends the event once. The access log entry (actor: the subscription's principal) is appended before the
   * request leaves, so no request carrying personal data goes out unlogged; should the entry fail, nothing
   * is sent and the attempt fails.
   */
  async attempt(
    subscription: Subscription,
    secret: string,
    event: RecordedEvent,
    signal: AbortSignal,
  ): Promise<SendOutcome> {
    const customerId = deliveredCustomerOf(event);
    if (customerId === undefined) throw new Error(`${event.streamId} is not a customer stream`);
    let payload: Payload;
    try {
      const outbound = await this.outbound(subscription, event, customerId);
      payload = payloadOf(subscription.format, outbound);
      if (carriesPersonalData(outbound, event)) {
        await this.accessLog.record(customerId, subscription.principal, 'subscription-delivery', uuidv7());
      }
    } catch (error) {
      // Why it failed, by error name and message: decryption and the event store never put values in them.
      return { kind: 'failed', error: `the event could not be prepared: ${String(error)}` };
    }
    return postWebhook({
      url: subscription.url,
      body: payload.body,
      headers: {
        'content-type': payload.contentType,
        'user-agent': 'customer-interaction-ledger',
        [SIGNATURE_HEADER]: signatureHeader(secret, payload.body, Math.floor(Date.now() / 1000)),
        [EVENT_ID_HEADER]: event.eventId,
        [SUBSCRIPTION_ID_HEADER]: subscription.id,
      },
      timeoutMs: this.policy.requestTimeoutMs,
      signal,
      targets: this.targets,
    });
  }

  /** The event as this subscription may see it. */
  private async outbound(
    subscription: Subscription,
    event: RecordedEvent,
    customerId: string,
  ): Promise<OutboundEvent> {
    const personalFields = piiFieldsOf(event.type).filter((field) => event.data[field] !== undefined);
    if (subscription.includePersonalData) {
      const data = await this.cipher.decryptFields(customerId, personalFields, event.data);
      return { event, customerId, data, omittedFields: [] };
    }
    const data = Object.fromEntries(
      Object.entries(event.data).filter(([field]) => !personalFields.includes(field)),
    );
    return { event, customerId, data, omittedFields: personalFields };
  }
}

/** Whether a shaped event holds personal data in clear: some personal field decrypted rather than erased. */
function carriesPersonalData(outbound: OutboundEvent, event: RecordedEvent): boolean {
  return piiFieldsOf(event.type).some(
    (field) => typeof outbound.data[field] === 'string' && outbound.data[field] !== ERASED_VALUE,
  );
}
