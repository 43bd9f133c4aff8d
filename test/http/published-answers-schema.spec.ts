import { readFileSync } from 'node:fs';
import {
  PUBLISHED_ANSWERS_SCHEMA_FILE,
  publishedAnswersSchemaText,
} from '../support/published-answers-schema';

describe('the published answer schemas (src/interfaces/http/published-answers.schema.json)', () => {
  it('are what the answer types generate: run `npm run openapi:answers` after changing them', () => {
    const committed: unknown = JSON.parse(readFileSync(PUBLISHED_ANSWERS_SCHEMA_FILE, 'utf8'));
    expect(committed).toEqual(JSON.parse(publishedAnswersSchemaText()));
  });
});
