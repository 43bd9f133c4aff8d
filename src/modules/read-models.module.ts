import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { LEDGER_LOGGER } from '../config/logger';
import { EVENT_STORE, EventStore } from '../ports/event-store.port';
import { READ_STORE, ReadStore } from '../ports/read-store.port';
import { PROJECTION_ENGINE, ProjectionEngine } from '../application/read-models/projection-engine';
import { ReadModels } from '../application/read-models/read-models';

/** The read side: the projection engine folding the catalog's projections, and typed access to what it wrote. */
@Module({
  providers: [
    {
      provide: PROJECTION_ENGINE,
      inject: [EVENT_STORE, READ_STORE, LEDGER_LOGGER],
      useFactory: (events: EventStore, reads: ReadStore, logger: Logger) =>
        new ProjectionEngine(events, reads, PROJECTIONS, logger),
    },
    ReadModels,
  ],
  exports: [PROJECTION_ENGINE, ReadModels],
})
export class ReadModelsModule {}
