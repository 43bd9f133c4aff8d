/**
 * Child process of the projection crash test: folds the event store at argv[2] into the read store at
 * argv[3], printing each projection's checkpoint as it advances, until it is killed.
 */
import pino from 'pino';
import { PROJECTIONS } from '../../projections/catalog';
import { createSqliteEventStore } from '../../src/adapters/sqlite/sqlite-event-store';
import { ProjectionEngine } from '../../src/application/read-models/projection-engine';
import { createSqliteReadStore } from '../../src/adapters/sqlite/sqlite-read-store';

const engine = new ProjectionEngine(
  createSqliteEventStore({ file: process.argv[2]! }),
  createSqliteReadStore(process.argv[3]!),
  PROJECTIONS,
  pino({ level: 'silent' }),
);
void engine.start().then(() =>
  setInterval(async () => {
    const positions = (await engine.status()).map((status) => status.position);
    process.stdout.write(`${Math.min(...positions)}\n`);
  }, 2),
);
