import { LookupAddress, LookupOptions } from 'node:dns';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DELIVERY_ERRORS, postWebhook } from './webhook-sender';
import { WebhookTargets } from './webhook-targets';

type Resolver = (
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** A DNS that answers each lookup of a name with the next of the given addresses (a rebinding name). */
function dnsAnswering(...answers: string[]): Resolver & { lookups: number } {
  const resolver = ((_hostname, _options, callback) => {
    const address = answers[Math.min(resolver.lookups++, answers.length - 1)]!;
    callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
  }) as Resolver & { lookups: number };
  resolver.lookups = 0;
  return resolver;
}

const targets = (allowed: string[] = [], resolver?: Resolver) =>
  new WebhookTargets(allowed, resolver as never);

describe('WebhookTargets', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.1',
    '0.0.0.0',
    '10.1.2.3',
    '172.31.255.255',
    '192.168.0.10',
    '100.64.1.1',
    '169.254.169.254',
    '224.0.0.251',
    '255.255.255.255',
    '::1',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:a00:1',
    'fc00::1',
    'fdff::1',
    'fe80::1',
    'ff02::1',
    '64:ff9b::a00:1',
    '2002:a00:1::1',
  ])('refuses the special-use address %s', (address) => {
    expect(targets().addressProblem(address)).toMatch(/private or special-use/);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700::6810:84e5', '::ffff:8.8.8.8', '172.32.0.1'])(
    'takes the public address %s',
    (address) => {
      expect(targets().addressProblem(address)).toBeUndefined();
    },
  );

  it('reads every IPv4 spelling as the address it stands for', () => {
    for (const host of [
      '0x7f.0.0.1',
      '2130706433',
      '017700000001',
      '127.1',
      '0x7f000001',
      '[::ffff:7f00:1]',
    ]) {
      expect([host, targets().hostProblem(new URL(`http://${host}/`))]).toEqual([
        host,
        expect.stringMatching(/private or special-use/),
      ]);
    }
  });

  it('takes what the allow list names: addresses, ranges and host names', () => {
    const allowing = targets(['127.0.0.1', '10.20.0.0/16', 'fd00::/8', 'hooks.internal']);
    expect(allowing.addressProblem('127.0.0.1')).toBeUndefined();
    expect(allowing.addressProblem('127.0.0.2')).toBeDefined();
    expect(allowing.addressProblem('10.20.3.4')).toBeUndefined();
    expect(allowing.addressProblem('10.21.0.1')).toBeDefined();
    expect(allowing.addressProblem('fd00::5')).toBeUndefined();
    expect(allowing.hostProblem(new URL('http://hooks.internal/x'))).toBeUndefined();
    expect(allowing.hostProblem(new URL('http://metadata.google.internal/x'))).toBeDefined();
  });

  it('refuses at registration a name that resolves to a private address', async () => {
    const problem = await targets([], dnsAnswering('127.0.0.1')).registrationProblem(
      new URL('http://127.0.0.1.nip.io/hooks'),
    );
    expect(problem).toMatch(/^resolves to 127\.0\.0\.1, which is a private or special-use address/);
    expect(
      await targets([], dnsAnswering('93.184.215.14')).registrationProblem(
        new URL('https://crm.example.com/'),
      ),
    ).toBeUndefined();
  });
});

describe('postWebhook against a rebinding name', () => {
  let receiver: Server;
  let port: number;
  let received = 0;

  beforeAll(async () => {
    receiver = createServer((_request, response) => {
      received++;
      response.end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => receiver.close(resolve)));

  const send = (policy: WebhookTargets, url: string) =>
    postWebhook({
      url,
      body: '{}',
      headers: { 'content-type': 'application/json' },
      timeoutMs: 5_000,
      signal: new AbortController().signal,
      targets: policy,
    });

  it('connects only to the address it checked: a name that turns to loopback after registration is refused', async () => {
    const dns = dnsAnswering('93.184.215.14', '127.0.0.1');
    const policy = targets([], dns);
    const url = `http://rebind.example.com:${port}/hooks`;
    expect(await policy.registrationProblem(new URL(url))).toBeUndefined();

    expect(await send(policy, url)).toEqual({ kind: 'failed', error: DELIVERY_ERRORS.refused });
    expect(dns.lookups).toBe(2);
    expect(received).toBe(0);
  });

  it('delivers to a name the allow list names, at the address DNS gives', async () => {
    const policy = targets(['hooks.in-house.example'], dnsAnswering('127.0.0.1'));
    expect(await send(policy, `http://hooks.in-house.example:${port}/hooks`)).toEqual({
      kind: 'delivered',
      status: 200,
    });
    expect(received).toBe(1);
  });

  it('refuses an address literal without connecting', async () => {
    expect(await send(targets(), `http://127.0.0.1:${port}/hooks`)).toEqual({
      kind: 'failed',
      error: DELIVERY_ERRORS.refused,
    });
    expect(received).toBe(1);
  });
});
