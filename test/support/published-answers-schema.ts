import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import stringify from 'safe-stable-stringify';
import { createGenerator } from 'ts-json-schema-generator';

const ROOT = join(__dirname, '..', '..');
export const PUBLISHED_ANSWERS_SCHEMA_FILE = join(ROOT, 'src/interfaces/http/published-answers.schema.json');

/**
 * The JSON schemas of the published answer types (src/interfaces/http/published-answers.ts), generated from the
 * TypeScript types themselves, JSDoc comments as descriptions, as the file openapi.ts reads holds them.
 */
export function publishedAnswersSchemaText(): string {
  const schema = createGenerator({
    path: join(ROOT, 'src/interfaces/http/published-answers.ts'),
    tsconfig: join(ROOT, 'tsconfig.json'),
    type: 'PublishedAnswers',
    expose: 'export',
    jsDoc: 'extended',
    topRef: false,
    // tsc checks the types; the generator only reads them.
    skipTypeCheck: true,
  }).createSchema('PublishedAnswers');
  return `${stringify(schema, null, 2)}\n`;
}

// `npm run openapi:answers` writes the file after the answer types changed.
if (require.main === module) {
  writeFileSync(PUBLISHED_ANSWERS_SCHEMA_FILE, publishedAnswersSchemaText());
  console.log(`wrote ${PUBLISHED_ANSWERS_SCHEMA_FILE}`);
}
