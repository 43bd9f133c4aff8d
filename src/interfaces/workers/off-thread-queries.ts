import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Type } from '@nestjs/common';
import { IQuery, Query, QueryBus } from '@nestjs/cqrs';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import {
  ReadFunnelReport,
  ReadLoyaltyDistribution,
  ReadPseudonymousLoyalty,
} from '../../application/analytics/analytics.queries';
import {
  ReadCohortReport,
  ReadComplaintReport,
  ReadRfmReport,
  ReadSatisfactionReport,
  ReadSegmentMembers,
  ReadSegmentTransitions,
} from '../../application/analytics/segments.queries';
import { ReadProfile } from '../../application/customers/read-profile/read-profile.query';
import { ReadPredictionBacktest } from '../../application/predictions/customer-base-predictions';
import { ReadCustomerPredictions } from '../../application/predictions/customer-outlooks';
import { ReadAssociationRules } from '../../application/predictions/product-associations';
import { PROJECTION_ENGINE, ProjectionEngine } from '../../application/read-models/projection-engine';
import { LEDGER_CONFIG, LedgerConfig } from '../../config/ledger-config';
import { LEDGER_LOGGER } from '../../config/logger';
import { DomainError, DomainErrorKind } from '../../domain/domain-error';

/**
 * The reads a worker thread answers: those whose cost is CPU spent ranking or combining documents (a rep's
 * profile with its segment and predictions, the analyst's reports, fitting and backtesting the models). Each is a pure read of the stores, so it
 * can run on its own connections in another thread; what a read records (the access log) stays with the
 * request, on the main thread.
 */
export const OFF_THREAD_QUERIES: readonly Type<IQuery>[] = [
  ReadProfile,
  ReadFunnelReport,
  ReadLoyaltyDistribution,
  ReadPseudonymousLoyalty,
  ReadRfmReport,
  ReadSegmentMembers,
  ReadSegmentTransitions,
  ReadCohortReport,
  ReadComplaintReport,
  ReadSatisfactionReport,
  ReadCustomerPredictions,
  ReadAssociationRules,
  ReadPredictionBacktest,
];

/** A query sent to a worker: its class's name and fields, and the generations the worker must read. */
export interface QueryMessage {
  readonly id: number;
  readonly name: string;
  readonly fields: object;
  readonly generations: Readonly<Record<string, number>>;
}

/** A worker's answer: ready to take queries, or one query's result or error. */
export type WorkerMessage =
  | { readonly ready: true }
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: ClonedError };

/** An error as it crosses threads: a domain error keeps what the HTTP layer maps to a status. */
export interface ClonedError {
  readonly message: string;
  readonly domain?: { readonly kind: DomainErrorKind; readonly code: string; readonly field?: string };
}

export function cloneError(error: unknown): ClonedError {
  if (error instanceof DomainError) {
    return { message: error.message, domain: { kind: error.kind, code: error.code, field: error.field } };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

function revivedError({ message, domain }: ClonedError): Error {
  return domain ? new DomainError(domain.kind, domain.code, message, domain.field) : new Error(message);
}

/** The query a message names, as an instance of its class (the handler is found by the class). */
export function revivedQuery({ name, fields }: QueryMessage): IQuery {
  const type = OFF_THREAD_QUERIES.find((query) => query.name === name);
  if (!type) throw new Error(`${name} is not answered off the main thread`);
  return Object.assign(Object.create(type.prototype) as IQuery, fields);
}

/** The worker threads' entry point, compiled or run through ts-node like this file. */
const WORKER_ENTRY = join(__dirname, '..', '..', `read-worker${extname(__filename)}`);

interface ReadWorker {
  readonly thread: Worker;
  ready: boolean;
  readonly inFlight: Map<number, { readonly query: IQuery; settle: (outcome: Promise<unknown>) => void }>;
}

/**
 * Runs the OFF_THREAD_QUERIES on worker threads (LEDGER_READ_WORKERS, by default one where the machine has a
 * core to spare), so that a rep reading profiles in a loop or an analyst's report never holds the thread that
 * records touchpoints and answers /health. Each worker opens its own connections to the same stores and folds
 * nothing; every query carries the generations this process reads, so a rebuild's switch reaches the workers
 * at once. Any other query, and every query while no worker is ready (at start, after a worker died), runs
 * here on the QueryBus.
 */
@Injectable()
export class OffThreadQueries implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly workers: ReadWorker[] = [];
  private nextId = 0;
  private stopping = false;

  constructor(
    private readonly queries: QueryBus,
    @Inject(PROJECTION_ENGINE) private readonly engine: ProjectionEngine,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
    @Inject(LEDGER_LOGGER) private readonly logger: Logger,
  ) {}

  /** How many workers: as configured, else one when this is compiled code on a machine with two cores or more. */
  get workerCount(): number {
    const compiled = extname(__filename) === '.js';
    return this.config.readWorkers ?? (compiled && availableParallelism() > 1 ? 1 : 0);
  }

  /** Workers started and ready to take queries. */
  get readyWorkers(): number {
    return this.workers.filter((worker) => worker.ready).length;
  }

  onApplicationBootstrap(): void {
    for (let index = 0; index < this.workerCount; index++) this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers.map((worker) => worker.thread.terminate()));
  }

  execute<T>(query: Query<T>): Promise<T> {
    const worker = this.leastBusy(query);
    if (!worker) return this.queries.execute(query);
    const id = ++this.nextId;
    const message: QueryMessage = {
      id,
      name: query.constructor.name,
      fields: { ...query },
      generations: this.engine.activeGenerations(),
    };
    return new Promise<T>((resolve, reject) => {
      worker.inFlight.set(id, { query, settle: (outcome) => void outcome.then(resolve as never, reject) });
      worker.thread.postMessage(message);
    });
  }

  private leastBusy(query: IQuery): ReadWorker | undefined {
    if (!OFF_THREAD_QUERIES.includes(query.constructor as Type<IQuery>)) return undefined;
    const ready = this.workers.filter((worker) => worker.ready);
    return ready.sort((a, b) => a.inFlight.size - b.inFlight.size)[0];
  }

  private start(): void {
    const thread = new Worker(WORKER_ENTRY, {
      workerData: { config: this.config },
      execArgv: extname(WORKER_ENTRY) === '.ts' ? ['--require', 'ts-node/register/transpile-only'] : [],
    });
    const worker: ReadWorker = { thread, ready: false, inFlight: new Map() };
    this.workers.push(worker);
    thread.on('message', (message: WorkerMessage) => {
      if ('ready' in message) {
        worker.ready = true;
        return;
      }
      const pending = worker.inFlight.get(message.id);
      worker.inFlight.delete(message.id);
      pending?.settle(
        'error' in message ? Promise.reject(revivedError(message.error)) : Promise.resolve(message.result),
      );
    });
    thread.on('error', (error) => this.logger.error({ err: error }, 'read worker failed'));
    thread.on('exit', (code) => {
      this.workers.splice(this.workers.indexOf(worker), 1);
      // The reads it had not answered are answered here: a read can be asked twice.
      for (const { query, settle } of worker.inFlight.values()) settle(this.queries.execute(query));
      if (this.stopping) return;
      this.logger.warn({ code }, 'read worker stopped: reads run on the main thread until it is back');
      if (worker.ready) this.start();
    });
  }
}
