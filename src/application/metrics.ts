import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EVENT_STORE, EventStore } from '../ports/event-store.port';
import { PROJECTION_ENGINE, ProjectionEngine } from './read-models/projection-engine';

/** The service's Prometheus metrics: process defaults, HTTP, appends and projection progress. */
@Injectable()
export class LedgerMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'ledger_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly eventsRecorded = new Counter({
    name: 'ledger_events_recorded_total',
    help: 'Events appended through the command path, and retried ones answered as duplicates',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  constructor(@Inject(PROJECTION_ENGINE) engine: ProjectionEngine, @Inject(EVENT_STORE) store: EventStore) {
    collectDefaultMetrics({ register: this.registry, prefix: 'ledger_' });
    new Gauge({
      name: 'ledger_log_position',
      help: 'Position of the last event in the log',
      registers: [this.registry],
      async collect() {
        this.set(await store.lastPosition());
      },
    });
    new Gauge({
      name: 'ledger_projection_lag_events',
      help: 'Events (positions) each projection still has to fold',
      labelNames: ['projection'],
      registers: [this.registry],
      async collect() {
        for (const status of await engine.status()) this.set({ projection: status.name }, status.lag);
      },
    });
  }
}
