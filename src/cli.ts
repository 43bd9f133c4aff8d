import 'reflect-metadata';
import { LocalAccounts } from './application/staff-auth/local-accounts';
import { ReadStaffActivity } from './application/staff-auth/staff-activity.query';
import { isISO31661Alpha2 } from 'class-validator';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createInterface } from 'node:readline/promises';
import pino from 'pino';
import { AppModule } from './app.module';
import { ImportPreset, IMPORT_PRESETS, PresetContext } from './interfaces/cli/import-presets';
import { importTouchpoints } from './interfaces/cli/import-touchpoints';
import { DEMO_FILES, demoDatasetsMissing, missingDemoFiles } from './interfaces/cli/demo-datasets';
import {
  customerAsOf,
  analystAudience,
  customerEvents,
  exportEvents,
  ExportFormat,
  openOutput,
  personalDataAudience,
} from './interfaces/cli/replay';
import { Pseudonyms } from './privacy/pseudonyms';
import { ReadModels } from './application/read-models/read-models';
import { runWhatIf, WhatIfModule } from './interfaces/cli/what-if';
import { isInsideDirectory, LEDGER_CONFIG, LedgerConfig, loadConfigOrExit } from './config/ledger-config';
import { CustomerLedger } from './application/customers/customer-ledger';
import { EVENT_STORE, EventStore, RecordedEvent } from './ports/event-store.port';
import { anchorText } from './application/gdpr/anchor';
import { anchorLog, verifyLog, verifyLogAgainstAnchor } from './application/gdpr/log-verification';
import {
  readAnchorFile,
  readSigningKey,
  readVerifyingKey,
  writeAnchorKeyPair,
  writeFileAtomically,
} from './interfaces/cli/anchor-files';
import { AccessLog } from './privacy/access-log';
import { EraseCustomer } from './application/gdpr/erase-customer.command';
import { ExportSubject, VerifyChains } from './application/gdpr/personal-data.queries';
import { PiiCipher } from './privacy/pii-cipher';
import { PROJECTION_ENGINE, ProjectionEngine } from './application/read-models/projection-engine';
import { READ_STORE, ReadStore } from './ports/read-store.port';
import {
  ReadCohortReport,
  ReadRfmReport,
  ReadSegmentMembers,
} from './application/analytics/segments.queries';
import { cohortRows, formatRows, segmentMemberRows, TableFormat } from './interfaces/cli/analytics-tables';
import { CustomerBasePredictions } from './application/predictions/customer-base-predictions';
import { DEFAULT_RULE_THRESHOLDS, ProductAssociations } from './application/predictions/product-associations';
import { PredictionModels } from './application/predictions/prediction-models';
import { PURCHASE_MODELS, PurchaseModel } from './domain/predictions/customer-forecast';
import { TIME_UNITS, TimeUnit } from './domain/predictions/purchase-summary';

/** Who the CLI records as actor: the operating-system user. */
const actor = `cli:${process.env.USER ?? 'operator'}`;

/**
 * The service's composition root without HTTP: same ports, same adapters, same command path. Commands that
 * only read the log or report on read models do not fold projections meanwhile (`fold: false`). Only
 * `project` delivers outbound subscriptions (`deliver: true`): a short command must not deliver beside the
 * service that does.
 */
async function withLedger<T>(
  work: (app: INestApplicationContext) => Promise<T>,
  { fold, deliver = false }: { fold?: boolean; deliver?: boolean } = {},
): Promise<T> {
  const configured = loadConfigOrExit();
  const config = {
    ...configured,
    runProjections: fold ?? configured.runProjections,
    deliverSubscriptions: deliver,
  };
  const logger = pino({ level: 'warn' }, pino.destination(2));
  // abortOnError: false: a store that cannot be opened (a damaged file) is thrown and told, not a silent exit.
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, logger), {
    logger: false,
    abortOnError: false,
  });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

/**
 * Read-your-writes for the CLI: waits until the read models have folded the log as it stands now (this process
 * folds, or a projector does when LEDGER_PROJECTIONS=off), saying so when that takes a moment.
 */
async function untilReadModelsFoldHead(app: INestApplicationContext, timeoutMs = 600_000): Promise<void> {
  const head = await app.get<EventStore>(EVENT_STORE).lastPosition();
  const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
  if (await engine.waitFor(head, 1_000)) return;
  console.error(`waiting for the read models to fold the log up to position ${head}…`);
  if (await engine.waitFor(head, timeoutMs)) return;
  throw new Error(
    `the read models did not fold the log up to position ${head} within ${timeoutMs / 1000} s` +
      (engine.folds ? '' : ': is a projector running (`npm run ledger -- project`)?'),
  );
}

function progressBar(label: string): SingleBar {
  return new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} {unit} | {eta_formatted} left`,
    stream: process.stderr,
    hideCursor: true,
  });
}

/** Progress in MiB of the input file read so far. */
const showBytes = (bar: SingleBar) => (read: number, total: number) => {
  bar.setTotal(Math.max(1, Math.round(total / 1048576)));
  bar.update(Math.round(read / 1048576));
};

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const list = (value: string) => value.split(',').filter(Boolean);

const program = new Command()
  .name('ledger')
  .description(
    'Customer-interaction ledger: import, replay and export, what-if, rebuild, verify, subject export, erasure',
  )
  .showHelpAfterError();

program
  .command('import')
  .description(
    'Import touchpoints from NDJSON (API shape) or CSV with a preset mapping; re-running a file appends nothing twice',
  )
  .argument('<file>', 'input file, optionally .gz')
  .addOption(new Option('--preset <name>', 'CSV mapping preset').choices(Object.keys(IMPORT_PRESETS)))
  .option(
    '--mapping <module>',
    'CSV mapping module of your own (exports `preset({ now, file })` returning an ImportPreset)',
  )
  .option('--rejects <file>', 'write every rejected line with its reasons as NDJSON')
  .option('--batch <size>', 'touchpoints per atomic batch', (value) => Number(value), 1000)
  .action(
    async (file: string, options: { preset?: string; mapping?: string; rejects?: string; batch: number }) => {
      const now = new Date().toISOString();
      const preset = options.mapping
        ? (
            (await import(resolve(options.mapping))) as { preset: (context: PresetContext) => ImportPreset }
          ).preset({ now, file })
        : options.preset
          ? IMPORT_PRESETS[options.preset]!({ now, file })
          : undefined;
      const rejects = options.rejects ? createWriteStream(options.rejects, { mode: 0o600 }) : undefined;
      const summary = await withLedger(async (app) => {
        const bar = progressBar('importing');
        bar.start(100, 0, { unit: 'MiB' });
        const result = await importTouchpoints({
          file,
          preset,
          ledger: app.get(CustomerLedger),
          actor,
          batchSize: options.batch,
          onProgress: showBytes(bar),
          onRejected: (rejection) => rejects?.write(`${JSON.stringify(rejection)}\n`),
        });
        bar.stop();
        return result;
      });
      rejects?.end();
      print(summary);
      if (summary.rejected > 0) process.exitCode = 1;
    },
  );

program
  .command('demo')
  .description(
    'Load the real public datasets (REES46, UCI Online Retail, NPS survey, CFPB complaints, Olist) into the store',
  )
  .option(
    '--datasets <dir>',
    'the folder holding the datasets (default: LEDGER_DATASETS, else ../shared/data beside the checkout)',
    process.env.LEDGER_DATASETS || resolve(__dirname, '..', '..', 'shared', 'data'),
  )
  .action(async (options: { datasets: string }) => {
    const missing = missingDemoFiles(options.datasets);
    if (missing.length > 0) {
      console.error(demoDatasetsMissing(options.datasets, missing));
      process.exitCode = 2;
      return;
    }
    await withLedger(async (app) => {
      for (const [preset, file] of DEMO_FILES) {
        const bar = progressBar(preset.padEnd(18));
        bar.start(1, 0, { unit: 'MiB' });
        const summary = await importTouchpoints({
          file: join(options.datasets, file),
          preset: IMPORT_PRESETS[preset]!({
            now: new Date().toISOString(),
            file: join(options.datasets, file),
          }),
          ledger: app.get(CustomerLedger),
          actor,
          onProgress: showBytes(bar),
        });
        bar.stop();
        const { accepted, duplicates, rejected } = summary;
        console.error(`${preset}: ${accepted} recorded, ${duplicates} already there, ${rejected} refused`);
      }
      await app.get<ProjectionEngine>(PROJECTION_ENGINE).caughtUp(600_000);
    });
    console.error(
      'done: `npm start`, then open http://127.0.0.1:3000/ (the rep page), http://127.0.0.1:3000/analytics.html (the analyst dashboard) or /docs',
    );
  });

program
  .command('export')
  .description(
    'Replay events to NDJSON or CSV: for analysts (pseudonyms, no personal data, only customers with analytics consent) unless --include-personal-data',
  )
  .addOption(new Option('--format <format>', 'output format').choices(['ndjson', 'csv']).default('ndjson'))
  .option('--from <instant>', 'occurredAt from (ISO 8601)')
  .option('--to <instant>', 'occurredAt to (ISO 8601)')
  .option('--types <types>', 'comma-separated event types', list)
  .option('--customers <ids>', 'comma-separated customer ids or pseudonyms', list)
  .option(
    '--include-personal-data',
    'customer ids and decrypted personal data (for auditors and admins; every customer read is access-logged)',
  )
  .option('--out <file>', 'write to a file instead of stdout')
  .action(
    async (options: {
      format: ExportFormat;
      from?: string;
      to?: string;
      types?: string[];
      customers?: string[];
      includePersonalData?: boolean;
      out?: string;
    }) => {
      await withLedger(
        async (app) => {
          const store = app.get<EventStore>(EVENT_STORE);
          const bar = progressBar('exporting');
          bar.start(await store.lastPosition(), 0, { unit: 'events' });
          const out = openOutput(options.out);
          const pseudonyms = app.get(Pseudonyms);
          const customers = options.customers?.map((value) => pseudonyms.resolve(value) ?? value);
          const now = new Date().toISOString();
          const audience = options.includePersonalData
            ? personalDataAudience(app.get(PiiCipher), app.get(AccessLog), actor, `cli:export:${now}`)
            : analystAudience(pseudonyms, app.get(ReadModels), now);
          const { written, customersLeftOut } = await exportEvents(
            customerEvents(store, { ...options, customers }),
            {
              format: options.format,
              out,
              audience,
              onEvent: () => bar.increment(),
            },
          );
          bar.stop();
          if (options.out) await new Promise<void>((done) => out.end(() => done()));
          console.error(
            `${written} events written${customersLeftOut > 0 ? `; ${customersLeftOut} customers left out: analytics consent withdrawn` : ''}`,
          );
        },
        { fold: false },
      );
    },
  );

program
  .command('what-if')
  .description(
    'Fold a projection module over history without touching live read models; diff against the live one (pseudonymous; customers without analytics and profiling consent left out)',
  )
  .argument('<module>', 'a .ts/.js file exporting `projection` (and optionally `label`, `liveLabel`)')
  .option('--from <instant>', 'occurredAt from')
  .option('--to <instant>', 'occurredAt to')
  .option('--out <file>', 'write the what-if documents as NDJSON')
  .action(async (modulePath: string, options: { from?: string; to?: string; out?: string }) => {
    const module = (await import(resolve(modulePath))) as WhatIfModule;
    const report = await withLedger(
      async (app) => {
        const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
        const config = app.get<LedgerConfig>(LEDGER_CONFIG);
        const out = options.out ? createWriteStream(options.out, { mode: 0o600 }) : undefined;
        const asOf = options.to ?? new Date().toISOString();
        const pseudonyms = app.get(Pseudonyms);
        const readModels = app.get(ReadModels);
        const live = engine.names().includes(module.projection.name)
          ? engine.collection(module.projection.name)
          : undefined;
        const result = await runWhatIf(
          module,
          app.get<EventStore>(EVENT_STORE),
          { reads: app.get<ReadStore>(READ_STORE), collection: live },
          options,
          { asOf, ledgerCurrency: config.ledgerCurrency },
          {
            pseudonymOf: (customerId) => pseudonyms.of(customerId),
            consentGiven: async (customerId) =>
              (await readModels.consentGiven(customerId, 'analytics', asOf)) &&
              (await readModels.consentGiven(customerId, 'profiling', asOf)),
          },
          (id, doc) => out?.write(`${JSON.stringify({ id, doc })}\n`),
        );
        out?.end();
        return result;
      },
      { fold: false },
    );
    print(report);
  });

program
  .command('as-of')
  .description("A customer's timeline, loyalty and funnel stage as they stood at an instant")
  .argument('<customerId>')
  .requiredOption('--at <instant>', 'the instant (ISO 8601)')
  .addOption(
    new Option('--by <time>', 'which time decides what had happened')
      .choices(['occurredAt', 'recordedAt'])
      .default('occurredAt'),
  )
  .action(async (customerId: string, options: { at: string; by: 'occurredAt' | 'recordedAt' }) => {
    const at = new Date(options.at);
    if (Number.isNaN(at.getTime())) program.error('--at must be an ISO 8601 instant');
    print(
      await withLedger(
        async (app) =>
          customerAsOf(
            app.get(EVENT_STORE),
            customerId,
            at.toISOString(),
            options.by,
            app.get<LedgerConfig>(LEDGER_CONFIG).ledgerCurrency,
            app.get<LedgerConfig>(LEDGER_CONFIG).exchangeRates,
          ),
        { fold: false },
      ),
    );
  });

/** An ISO instant option, or the program stops with the option's name. */
function instantOption(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) program.error(`--${name} must be an ISO 8601 instant`);
  return at;
}

program
  .command('segments')
  .description(
    'RFM segments as of an instant, pseudonymous: json gives the counts, grid and every member; csv and ndjson one row per member (analytics and profiling consent honoured)',
  )
  .option('--as-of <instant>', 'the instant (ISO 8601); now when absent')
  .addOption(
    new Option('--format <format>', 'output format').choices(['json', 'csv', 'ndjson']).default('json'),
  )
  .action(async (options: { asOf?: string; format: TableFormat }) => {
    const now = new Date();
    const asOf = instantOption('as-of', options.asOf) ?? now;
    const { report, members } = await withLedger(async (app) => {
      await untilReadModelsFoldHead(app);
      const queries = app.get(QueryBus);
      return {
        report: await queries.execute(new ReadRfmReport(asOf, now)),
        members: await queries.execute(new ReadSegmentMembers(undefined, asOf, Number.MAX_SAFE_INTEGER, now)),
      };
    });
    if (options.format === 'json') print({ ...report, members: members.members });
    else process.stdout.write(formatRows(segmentMemberRows(members), options.format));
  });

program
  .command('cohorts')
  .description(
    'Purchase cohorts by first-purchase month: retention and net revenue; json gives the report, csv and ndjson one row per cohort and later month (analytics consent honoured)',
  )
  .option('--from <instant>', 'first purchase from (ISO 8601)')
  .option('--to <instant>', 'first purchase to (ISO 8601)')
  .option('--as-of <instant>', 'count what happened up to this instant; now when absent')
  .addOption(
    new Option('--format <format>', 'output format').choices(['json', 'csv', 'ndjson']).default('json'),
  )
  .action(async (options: { from?: string; to?: string; asOf?: string; format: TableFormat }) => {
    const range = {
      from: instantOption('from', options.from)?.toISOString(),
      to: instantOption('to', options.to)?.toISOString(),
      asOf: instantOption('as-of', options.asOf)?.toISOString(),
    };
    const report = await withLedger(async (app) => {
      await untilReadModelsFoldHead(app);
      return app.get(QueryBus).execute(new ReadCohortReport(range, new Date()));
    });
    if (options.format === 'json') print(report);
    else process.stdout.write(formatRows(cohortRows(report), options.format));
  });

const timeUnitOption = () =>
  new Option('--time-unit <unit>', 'the unit of time of the models').choices(TIME_UNITS).default('week');

/** A non-negative number option, or the program stops with the option's name. */
function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) program.error(`--${name} must be a non-negative number`);
  return number;
}

/** The rules' thresholds from the options (the defaults are DEFAULT_RULE_THRESHOLDS, written in the options). */
function ruleThresholds(options: { minSupport: string; minConfidence: string; minLift: string }) {
  return {
    minSupport: numberOption('min-support', options.minSupport, DEFAULT_RULE_THRESHOLDS.minSupport),
    minConfidence: numberOption(
      'min-confidence',
      options.minConfidence,
      DEFAULT_RULE_THRESHOLDS.minConfidence,
    ),
    minLift: numberOption('min-lift', options.minLift, DEFAULT_RULE_THRESHOLDS.minLift),
  };
}

const predictCommand = program
  .command('predict')
  .description(
    'Fit BG/NBD, Pareto/NBD and Gamma-Gamma on the purchase histories as of an instant and print their parameters as JSON; --customers prints NDJSON instead: the fit, then one line per customer with profiling consent (pseudonyms unless --include-personal-data)',
  )
  .option('--as-of <instant>', 'the instant (ISO 8601); now when absent')
  .addOption(timeUnitOption())
  .option('--customers', 'add per-customer predictions (NDJSON)')
  .option('--horizon <units>', 'how far ahead, in the time unit (default: a year)')
  .addOption(
    new Option('--model <model>', 'the purchase model of the per-customer predictions')
      .choices(PURCHASE_MODELS)
      .default('bg-nbd'),
  )
  .option('--discount-rate <rate>', 'yearly discount rate of expected value (0.1 = 10 %)', '0.1')
  .option(
    '--include-personal-data',
    'customer ids instead of pseudonyms (for auditors and admins; every customer printed is access-logged)',
  )
  .action(
    async (options: {
      asOf?: string;
      timeUnit: TimeUnit;
      customers?: boolean;
      horizon?: string;
      model: PurchaseModel;
      discountRate: string;
      includePersonalData?: boolean;
    }) => {
      const asOf = (instantOption('as-of', options.asOf) ?? new Date()).toISOString();
      const settings = {
        model: options.model,
        horizon: numberOption('horizon', options.horizon, options.timeUnit === 'week' ? 52 : 365),
        annualDiscountRate: numberOption('discount-rate', options.discountRate, 0.1),
      };
      await withLedger(async (app) => {
        await untilReadModelsFoldHead(app);
        const predictions = app.get(CustomerBasePredictions);
        const fitted = await predictions.fit(asOf, options.timeUnit);
        if (!options.customers) return print(fitted.report);
        const write = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
        write({ ...fitted.report, horizon: settings.horizon, model: settings.model });
        const pseudonyms = app.get(Pseudonyms);
        const accessLog = app.get(AccessLog);
        const requestId = `cli:predict:${new Date().toISOString()}`;
        for (const { customerId, forecast } of predictions.forecasts(fitted, settings)) {
          if (options.includePersonalData) {
            await accessLog.record(customerId, actor, 'predictions', requestId);
            write({ customerId, ...forecast });
          } else {
            write({ pseudonym: pseudonyms.of(customerId), ...forecast });
          }
        }
      });
    },
  );

predictCommand
  .command('refresh')
  .description(
    'Fit the models and count the association rules as of --as-of (now when absent; in --time-unit) and store them: the rep profile and the per-customer answers score with the stored models. Run it on a schedule (daily, e.g. from cron); prints the fit and the rules kept (JSON)',
  )
  .option('--min-support <share>', 'smallest share of baskets holding a rule', '0.01')
  .option('--min-confidence <share>', 'smallest confidence', '0.3')
  .option('--min-lift <lift>', 'smallest lift', '1')
  .action(
    async (
      _options: unknown,
      // --as-of and --time-unit are the parent `predict` command's: it parses them wherever they stand.
      command: Command,
    ) => {
      const options = command.optsWithGlobals<{
        asOf?: string;
        timeUnit: TimeUnit;
        minSupport: string;
        minConfidence: string;
        minLift: string;
      }>();
      const now = new Date();
      const asOf = (instantOption('as-of', options.asOf) ?? now).toISOString();
      const thresholds = ruleThresholds(options);
      const stored = await withLedger(async (app) => {
        await untilReadModelsFoldHead(app);
        return app.get(PredictionModels).refresh(asOf, options.timeUnit, thresholds, now);
      });
      print({
        refreshedAt: stored.refreshedAt,
        ...stored.report,
        rules: { ...stored.rules.thresholds, baskets: stored.rules.baskets, kept: stored.rules.rules.length },
      });
    },
  );

predictCommand
  .command('backtest')
  .description(
    'Fit as of --calibration-end and compare with what happened up to --holdout-end: per calibration-frequency class, cumulative per week, per-customer correlation, value (JSON)',
  )
  .requiredOption('--calibration-end <instant>', 'the instant the models are fitted as of (ISO 8601)')
  .requiredOption('--holdout-end <instant>', 'the end of the period compared (ISO 8601)')
  .action(async (_options: unknown, command: Command) => {
    // --time-unit is the parent `predict` command's: it parses it wherever it stands.
    const options = command.optsWithGlobals<{
      calibrationEnd: string;
      holdoutEnd: string;
      timeUnit: TimeUnit;
    }>();
    const calibrationEnd = instantOption('calibration-end', options.calibrationEnd)!.toISOString();
    const holdoutEnd = instantOption('holdout-end', options.holdoutEnd)!.toISOString();
    if (holdoutEnd <= calibrationEnd) program.error('--holdout-end must be after --calibration-end');
    print(
      await withLedger(async (app) => {
        await untilReadModelsFoldHead(app);
        return app.get(CustomerBasePredictions).backtest(calibrationEnd, holdoutEnd, options.timeUnit);
      }),
    );
  });

program
  .command('rules')
  .description(
    'Association rules between products (SKUs) from the purchase baskets as of an instant, by FP-growth, strongest lift first (analytics consent honoured)',
  )
  .option('--as-of <instant>', 'count purchases up to this instant (ISO 8601); now when absent')
  .option('--from <instant>', 'purchases from (ISO 8601)')
  .option('--to <instant>', 'purchases to (ISO 8601)')
  .option('--min-support <share>', 'smallest share of baskets holding a rule', '0.01')
  .option('--min-confidence <share>', 'smallest confidence', '0.3')
  .option('--min-lift <lift>', 'smallest lift', '1')
  .option(
    '--country <code>',
    'only the purchases of customers registered in this country (ISO 3166-1 alpha-2)',
  )
  .action(
    async (options: {
      asOf?: string;
      from?: string;
      to?: string;
      minSupport: string;
      minConfidence: string;
      minLift: string;
      country?: string;
    }) => {
      if (options.country !== undefined && !isISO31661Alpha2(options.country)) {
        program.error('--country must be an ISO 3166-1 alpha-2 code such as GB');
      }
      const range = {
        asOf: (instantOption('as-of', options.asOf) ?? new Date()).toISOString(),
        from: instantOption('from', options.from)?.toISOString(),
        to: instantOption('to', options.to)?.toISOString(),
        country: options.country,
      };
      const thresholds = ruleThresholds(options);
      print(
        await withLedger(async (app) => {
          await untilReadModelsFoldHead(app);
          return app.get(ProductAssociations).rules(range, thresholds);
        }),
      );
    },
  );

program
  .command('rebuild')
  .description('Rebuild projections from position 0 (blue/green) and wait until they are live')
  .argument('[names...]', 'projection names (all when none)')
  .action(async (names: string[]) => {
    await withLedger(async (app) => {
      const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
      await engine.caughtUp(3_600_000);
      await engine.rebuild(names.length > 0 ? names : engine.names());
      const head = await app.get<EventStore>(EVENT_STORE).lastPosition();
      const bar = progressBar('rebuilding');
      bar.start(head, 0, { unit: 'events' });
      for (;;) {
        const rebuilding = (await engine.status()).filter((status) => status.rebuild);
        if (rebuilding.length === 0) break;
        bar.update(Math.min(...rebuilding.map((status) => status.rebuild!.position)));
        await new Promise((done) => setTimeout(done, 200));
      }
      bar.update(head);
      bar.stop();
      await untilReadModelsFoldHead(app);
      print(await engine.status());
    });
  });

const projectionsCommand = program
  .command('projections')
  .description('Projection operations on parked events (see `status` for the list)');

projectionsCommand
  .command('retry')
  .description(
    'After a fix, fold the parked events of one projection (or all) again; exit 1 while any stays parked',
  )
  .argument('[name]', 'projection name (all when none)')
  .action(async (name: string | undefined) => {
    const report = await withLedger(
      async (app) => {
        const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
        if (name !== undefined && !engine.names().includes(name)) {
          throw new Error(`no projection is named ${name} (known: ${engine.names().join(', ')})`);
        }
        await engine.caughtUp(3_600_000);
        const retried = await engine.retryParked(name === undefined ? undefined : [name]);
        return { retried, projections: await engine.status() };
      },
      { fold: true },
    );
    print(report);
    if (report.retried.some((result) => result.stillParked + result.newlyParked > 0)) process.exitCode = 1;
  });

program
  .command('project')
  .description(
    'Fold the projections and deliver the outbound subscriptions until stopped (for service instances started with LEDGER_PROJECTIONS=off)',
  )
  .action(async () => {
    await withLedger(
      async (app) => {
        const engine = app.get<ProjectionEngine>(PROJECTION_ENGINE);
        console.error('folding projections and delivering subscriptions; Ctrl-C to stop');
        await new Promise<void>((stop) =>
          ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => stop())),
        );
        print(await engine.status());
      },
      { fold: true, deliver: true },
    );
  });

program
  .command('status')
  .description('Projection checkpoints, lag, last errors and parked events')
  .action(async () => {
    print(
      await withLedger(async (app) => app.get<ProjectionEngine>(PROJECTION_ENGINE).status(), { fold: false }),
    );
  });

program
  .command('verify')
  .description(
    "Verify content, order and completeness (hash chains, stream heads, the store's counts), optionally against a signed anchor; report the first break (exit 1 on a break)",
  )
  .option('--customer <id>', 'only this customer')
  .option(
    '--against <anchor>',
    'also prove that nothing recorded up to this signed anchor was changed, removed or reordered',
  )
  .option(
    '--public-key <pem>',
    "the anchor signer's public key (default: derived from LEDGER_ANCHOR_KEY_FILE)",
  )
  .action(async (options: { customer?: string; against?: string; publicKey?: string }) => {
    if (options.customer && options.against) {
      throw new Error('--against verifies the whole log: leave out --customer');
    }
    const anchor = options.against ? readAnchorFile(options.against) : undefined;
    const report = await withLedger(
      async (app) => {
        if (options.customer) return app.get(QueryBus).execute(new VerifyChains(options.customer));
        const store = app.get<EventStore>(EVENT_STORE);
        const keyFile = options.publicKey ?? app.get<LedgerConfig>(LEDGER_CONFIG).anchorKeyFile;
        if (anchor && !keyFile) {
          throw new Error('--against needs --public-key <pem> or LEDGER_ANCHOR_KEY_FILE');
        }
        const publicKey = anchor && keyFile ? readVerifyingKey(keyFile) : undefined;
        const bar = progressBar('verifying');
        bar.start(await store.lastPosition(), 0, { unit: 'events' });
        const onEvent = (event: RecordedEvent) => bar.update(event.position);
        const result =
          anchor && publicKey
            ? await verifyLogAgainstAnchor(store, anchor, publicKey, { onEvent })
            : await verifyLog(store, { onEvent });
        bar.stop();
        return result;
      },
      { fold: false },
    );
    print(report);
    if (!report.ok) process.exitCode = 1;
  });

program
  .command('anchor')
  .description(
    'Verify the log, then write a signed anchor of every stream head, the counts and a digest of the order (exit 1, and no anchor, when the log does not verify)',
  )
  .requiredOption(
    '--out <file>',
    'the anchor file, written atomically; keep anchors away from the database host',
  )
  .action(async (options: { out: string }) => {
    const result = await withLedger(
      async (app) => {
        const { anchorKeyFile } = app.get<LedgerConfig>(LEDGER_CONFIG);
        if (!anchorKeyFile) {
          throw new Error(
            'LEDGER_ANCHOR_KEY_FILE is not set: make a key with `npm run ledger -- anchor-key --out <file>` outside DATA_DIR',
          );
        }
        const privateKey = readSigningKey(anchorKeyFile);
        const store = app.get<EventStore>(EVENT_STORE);
        const bar = progressBar('anchoring');
        bar.start(await store.lastPosition(), 0, { unit: 'events' });
        const anchored = await anchorLog(store, privateKey, {
          onEvent: (event) => bar.update(event.position),
          now: new Date(),
        });
        bar.stop();
        if (anchored.anchor) await writeFileAtomically(options.out, anchorText(anchored.anchor));
        return anchored;
      },
      { fold: false },
    );
    if (!result.anchor) {
      console.error('the log does not verify: no anchor written');
      print(result.report);
      process.exitCode = 1;
      return;
    }
    const { position, events, streams, createdAt, keyId } = result.anchor.statement;
    print({ anchor: resolve(options.out), position, events, streams, createdAt, keyId });
  });

program
  .command('anchor-key')
  .description(
    'Make an Ed25519 key pair for anchors: the private key (LEDGER_ANCHOR_KEY_FILE) outside DATA_DIR, the public key for verifiers',
  )
  .requiredOption('--out <file>', 'where to write the private key (PEM, readable by its owner only)')
  .option('--public-out <file>', 'where to write the public key (default: <out>.pub)')
  .action((options: { out: string; publicOut?: string }) => {
    const { dataDir } = loadConfigOrExit();
    const publicOut = options.publicOut ?? `${options.out}.pub`;
    if (isInsideDirectory(dataDir, options.out)) {
      throw new Error(
        `${options.out} is inside DATA_DIR (${dataDir}): whoever can alter the data could then sign anchors for it; keep the key on another disk or host`,
      );
    }
    const { keyId, publicKeyPem } = writeAnchorKeyPair(options.out, publicOut);
    process.stdout.write(publicKeyPem);
    console.error(
      `private key: ${resolve(options.out)} (set LEDGER_ANCHOR_KEY_FILE to it); public key ${keyId}: ${resolve(publicOut)}`,
    );
  });

program
  .command('export-subject')
  .description('Subject access export (Art. 15/20) of one customer as JSON')
  .argument('<customerId>')
  .option('--out <file>', 'write to a file instead of stdout')
  .action(async (customerId: string, options: { out?: string }) => {
    await withLedger(async (app) => {
      await untilReadModelsFoldHead(app);
      const exported = await app.get(QueryBus).execute(new ExportSubject(customerId));
      await app.get(AccessLog).record(customerId, actor, 'export', 'cli:export-subject');
      // Written as it is read: the export of a long history is never held whole.
      await pipeline(
        exported,
        options.out ? createWriteStream(options.out, { mode: 0o600 }) : process.stdout,
        { end: Boolean(options.out) },
      );
      if (!options.out) process.stdout.write('\n');
    });
  });

program
  .command('staff-activity')
  .description(
    'Everything one person or key principal read or changed in a period (auditors); the listing is recorded',
  )
  .argument('<subject>', 'the actor: sso:<subject>, or a key principal')
  .requiredOption('--from <time>', 'ISO 8601 start, e.g. 2026-11-01T00:00:00Z')
  .requiredOption('--to <time>', 'ISO 8601 end')
  .action(async (subject: string, options: { from: string; to: string }) => {
    for (const [name, value] of Object.entries(options)) {
      if (Number.isNaN(Date.parse(value)))
        throw new Error(`--${name} must be an ISO 8601 time, not ${value}`);
    }
    const activity = await withLedger((app) =>
      app
        .get(QueryBus)
        .execute(new ReadStaffActivity(subject, options, { actor, requestId: 'cli:staff-activity' })),
    );
    print(activity);
  });

program
  .command('staff-invite')
  .description(
    'Invites a person to a local staff account (LEDGER_LOCAL_ACCOUNTS=on); prints the invitation link',
  )
  .argument('<username>')
  .requiredOption('--name <displayName>', "the person's name as the log shows it")
  .requiredOption('--roles <roles>', 'comma-separated: rep, analyst, auditor, admin')
  .action(async (username: string, options: { name: string; roles: string }) => {
    const { publicUrl, invitation } = await withLedger(async (app) => ({
      publicUrl: app.get<LedgerConfig>(LEDGER_CONFIG).staffSignIn?.publicUrl,
      invitation: await app
        .get(LocalAccounts)
        .invite({ username, displayName: options.name, roles: list(options.roles) }, new Date()),
    }));
    print({
      username: invitation.username,
      invitationUrl: `${publicUrl}/invitation.html#${invitation.token}`,
      expiresAt: invitation.expiresAt,
    });
  });

program
  .command('rotate-master-key')
  .description(
    'Rewrap every data key with LEDGER_MASTER_KEY; the old keys go in LEDGER_PREVIOUS_MASTER_KEYS until then',
  )
  .action(async () => {
    const rewrapped = await withLedger(async (app) => app.get(PiiCipher).rotateMasterKey());
    print({ rewrapped });
  });

program
  .command('apply-retention')
  .description('Redact the data of events older than LEDGER_RETENTION allows (e.g. ProductBrowsed=90)')
  .action(async () => {
    print(
      await withLedger(async (app) => {
        const { retention } = app.get<LedgerConfig>(LEDGER_CONFIG);
        if (retention.length === 0) program.error('LEDGER_RETENTION is not set: nothing to apply');
        return app.get<EventStore>(EVENT_STORE).applyRetention(retention, new Date());
      }),
    );
  });

program
  .command('erase')
  .description('Erase a customer by crypto-shredding and print the report')
  .argument('<customerId>')
  .option('--yes', 'do not ask for confirmation')
  .option('--request-id <id>', 'the data-subject request id')
  .option('--reason <text>', 'why')
  .action(async (customerId: string, options: { yes?: boolean; requestId?: string; reason?: string }) => {
    if (!options.yes) {
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await prompt.question(
        `Erase all personal data of ${customerId}? This cannot be undone. Type the customer id to confirm: `,
      );
      prompt.close();
      if (answer.trim() !== customerId) {
        console.error('not confirmed: nothing was erased');
        process.exitCode = 1;
        return;
      }
    }
    const now = new Date();
    print(
      await withLedger(async (app) =>
        app.get(CommandBus).execute(
          new EraseCustomer(
            customerId,
            { requestId: options.requestId, reason: options.reason },
            {
              actor,
              causationId: `cli:erase:${now.toISOString()}`,
              correlationId: options.requestId ?? `cli:erase`,
              now,
            },
          ),
        ),
      ),
    );
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
