import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { join } from 'node:path';
import { LEDGER_CONFIG, LedgerConfig } from './config/ledger-config';
import { ChangeContactDetailsHandler } from './customers/change-contact-details/change-contact-details.command';
import { CustomerLedger } from './customers/customer-ledger';
import { CustomersController } from './customers/customers.controller';
import { ReadCustomerEventsHandler } from './customers/read-customer-events/read-customer-events.query';
import { RecordConsentHandler } from './customers/record-consent/record-consent.command';
import { RecordTouchpointsHandler } from './customers/record-touchpoint/record-touchpoints.command';
import { RegisterCustomerHandler } from './customers/register-customer/register-customer.command';
import { TouchpointsController } from './customers/touchpoints.controller';
import { EVENT_STORE, EventStore } from './event-store/event-store.port';
import { createSqliteEventStore } from './event-store/sqlite-event-store';
import { PiiCipher } from './gdpr/pii-cipher';
import { createSqliteSubjectKeyStore } from './gdpr/sqlite-subject-key-store';
import { SUBJECT_KEY_STORE, SubjectKeyStore } from './gdpr/subject-key-store.port';
import { HealthController } from './health/health.controller';

/** Closes the stores when Nest shuts down, after requests have drained. */
class StoreLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(SUBJECT_KEY_STORE) private readonly keys: SubjectKeyStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.events.close();
    await this.keys.close();
  }
}

/** The composition root: binds ports to the embedded adapters under the configured data directory. */
@Module({})
export class AppModule {
  static forRoot(config: LedgerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [CustomersController, TouchpointsController, HealthController],
      providers: [
        { provide: LEDGER_CONFIG, useValue: config },
        {
          provide: EVENT_STORE,
          useFactory: () => createSqliteEventStore({ file: join(config.dataDir, 'events.db') }),
        },
        {
          provide: SUBJECT_KEY_STORE,
          useFactory: () => createSqliteSubjectKeyStore(join(config.dataDir, 'keys.db')),
        },
        {
          provide: PiiCipher,
          inject: [SUBJECT_KEY_STORE],
          useFactory: (keys: SubjectKeyStore) => new PiiCipher(keys, config.masterKey),
        },
        StoreLifecycle,
        CustomerLedger,
        RegisterCustomerHandler,
        ChangeContactDetailsHandler,
        RecordConsentHandler,
        RecordTouchpointsHandler,
        ReadCustomerEventsHandler,
      ],
    };
  }
}
