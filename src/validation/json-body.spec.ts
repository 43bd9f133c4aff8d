import { jsonBodyProblems, MAX_BODY_DEPTH } from './json-body';

describe('jsonBodyProblems', () => {
  it('takes ordinary bodies, exact decimals and escaped pairs', () => {
    expect(
      jsonBodyProblems('{"a":[1,-0,0.1,120.50,1e3,-2.5E-3],"b":"\\ud83d\\ude00 ok","c":{"d":null}}'),
    ).toEqual([]);
  });

  it('names the field of an inexact or unsafe number', () => {
    expect(jsonBodyProblems('{"x":{"y":[0,1e-400]},"z":9007199254740993}')).toEqual([
      {
        field: 'x.y[1]',
        message: expect.stringMatching(/^1e-400 cannot be held exactly \(it would be read as 0\)/),
      },
      { field: 'z', message: expect.stringMatching(/^9007199254740993 is beyond ±9007199254740991/) },
    ]);
    expect(jsonBodyProblems('[0.30000000000000000001]')[0]!.field).toBe('body[0]');
  });

  it('names a lone surrogate in a value or a key, and counts array positions across nested values', () => {
    expect(jsonBodyProblems('{"a":[{"b":1},"\\udc00"],"k\\ud800":1}')).toEqual([
      { field: 'a[1]', message: expect.stringMatching(/lone UTF-16 surrogate/) },
      { field: 'k\ud800', message: expect.stringMatching(/lone UTF-16 surrogate/) },
    ]);
  });

  it('stops at the depth limit, naming it', () => {
    const atLimit = '['.repeat(MAX_BODY_DEPTH) + ']'.repeat(MAX_BODY_DEPTH);
    expect(jsonBodyProblems(atLimit)).toEqual([]);
    expect(jsonBodyProblems(`[${atLimit}]`)).toEqual([
      {
        field: expect.stringMatching(/^body\[0\]/),
        message: `nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels, the limit of a request body`,
      },
    ]);
  });
});
