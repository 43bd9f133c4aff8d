import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** What `npm run demo` loads: an import preset and its file, relative to the datasets folder. */
export const DEMO_FILES: readonly (readonly [preset: string, file: string])[] = [
  ['rees46', 'rees46-ecommerce-behavior/2019-Oct_first17434.csv'],
  ['uci-online-retail', 'uci-online-retail/online_retail.csv.gz'],
  ['nps-garden-centre', 'nps-garden-center-survey/nps_utf8.csv'],
  ['cfpb-complaints', 'cfpb-consumer-complaints/complaints_sample.csv'],
  ['olist-orders', 'olist-brazilian-ecommerce/olist_orders_dataset.csv'],
  ['olist-reviews', 'olist-brazilian-ecommerce/olist_order_reviews_dataset.csv'],
];

/** The demo's files missing from `folder`, checked before anything is loaded so that none is half done. */
export function missingDemoFiles(folder: string): string[] {
  return DEMO_FILES.map(([, file]) => file).filter((file) => !existsSync(join(folder, file)));
}

/** What the demo says, instead of a raw ENOENT, when its datasets are not where it looks. */
export function demoDatasetsMissing(folder: string, missing: readonly string[]): string {
  return [
    `npm run demo needs the public datasets in ${folder}; missing there:`,
    ...missing.map((file) => `  - ${file}`),
    'Put the datasets folder there (it is the shared/data folder beside this checkout), or point to it with',
    '`npm run demo -- --datasets <folder>` or LEDGER_DATASETS=<folder>. Nothing was loaded.',
  ].join('\n');
}
