import { DynamicModule, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { Logger } from 'pino';
import { LEDGER_CONFIG, LedgerConfig } from '../config/ledger-config';
import { LEDGER_LOGGER } from '../config/logger';
import { EVENT_STORE, EventStore } from '../ports/event-store.port';
import { READ_STORE, ReadStore } from '../ports/read-store.port';
import { SUBJECT_KEY_STORE, SubjectKeyStore } from '../ports/subject-key-store.port';
import { AccessLog } from '../privacy/access-log';
import { EMAIL_INDEX_COLLECTION, EMAIL_INDEX_KEYS, EmailBlindIndex } from '../privacy/blind-index';
import { EmailDirectory } from '../privacy/email-directory';
import { PiiCipher } from '../privacy/pii-cipher';
import { Pseudonyms } from '../privacy/pseudonyms';
import { LedgerMetrics } from '../application/metrics';
import { PROJECTION_ENGINE, ProjectionEngine } from '../application/read-models/projection-engine';
import { ReadModelsModule } from './read-models.module';
import { PersistenceModule } from './persistence.module';

/**
 * Starts the projections with the service (folding them only where configured); stops them, then closes the
 * stores, when Nest shuts down. LedgerModule is global, and Nest shuts global modules down last: whatever a
 * feature module runs on the stores (outbound deliveries) has stopped by then.
 */
class LedgerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(SUBJECT_KEY_STORE) private readonly keys: SubjectKeyStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(PROJECTION_ENGINE) private readonly engine: ProjectionEngine,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reads.ensureCollection(EMAIL_INDEX_COLLECTION, EMAIL_INDEX_KEYS);
    await this.engine.start({ fold: this.config.runProjections });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engine.stop();
    await this.events.close();
    await this.keys.close();
    await this.reads.close();
  }
}

/**
 * What every feature uses, whichever way the ledger is driven (HTTP or CLI): the configuration and the logger,
 * the stores (PersistenceModule), personal-data protection, the read side, the metrics and the command and query
 * buses. Global, so that feature modules list only their own use cases.
 */
@Module({})
export class LedgerModule {
  static forRoot(config: LedgerConfig, logger: Logger): DynamicModule {
    return {
      module: LedgerModule,
      global: true,
      imports: [CqrsModule.forRoot(), PersistenceModule.forRoot(config), ReadModelsModule],
      providers: [
        { provide: LEDGER_CONFIG, useValue: config },
        { provide: LEDGER_LOGGER, useValue: logger },
        { provide: EmailBlindIndex, useFactory: () => new EmailBlindIndex(config.masterKey) },
        { provide: Pseudonyms, useFactory: () => new Pseudonyms(config.masterKey) },
        {
          provide: PiiCipher,
          inject: [SUBJECT_KEY_STORE],
          useFactory: (keys: SubjectKeyStore) =>
            new PiiCipher(keys, config.masterKey, config.previousMasterKeys, config.keepDataKeys ?? true),
        },
        AccessLog,
        EmailDirectory,
        LedgerMetrics,
        LedgerLifecycle,
      ],
      exports: [
        LEDGER_CONFIG,
        LEDGER_LOGGER,
        EmailBlindIndex,
        Pseudonyms,
        PiiCipher,
        AccessLog,
        EmailDirectory,
        LedgerMetrics,
        PersistenceModule,
        ReadModelsModule,
      ],
    };
  }
}
