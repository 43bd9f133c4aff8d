import { LedgerTestApp } from '../support/ledger-app';
import { aRegistration } from '../fixtures/touchpoints';

describe('probe', () => {
  let ledger: LedgerTestApp;
  beforeAll(async () => {
    ledger = await LedgerTestApp.start();
  });
  afterAll(() => ledger.stop());
  it('probes', async () => {
    const deep = '{"customerId":' + '['.repeat(1500) + ']'.repeat(1500) + '}';
    for (const body of [
      deep,
      '{"customerId":"a","name":"\\ud800","email":"x@y.z"}',
      '{"amount":1e-400}',
      '{"amount":9007199254740993}',
      '{"a":[1,{"b":1e300}]}',
    ]) {
      const r = await ledger.post('/v1/customers', body);
      console.log(r.status, r.headers['content-type'], JSON.stringify(r.body));
    }
    const r = await ledger.post('/v1/customers', aRegistration({ country: null }));
    console.log(r.status, JSON.stringify(r.body));
  });
});
