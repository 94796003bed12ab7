import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { Authorizer, hashKey, hmacTokens, httpCallback, jwtStrategy, signToken, staticKeys, type AuthRequest } from '../../src/server/authorization.js';

/**
 * The authorization strategies, each against what a user would run: a real HTTP callback server,
 * a JWKS served over HTTP with tokens signed by jose; HMAC tokens and static keys by their own rules.
 */

const T = Date.parse('2026-12-07T12:00:00Z');
const req = (over: Partial<AuthRequest> = {}): AuthRequest => ({ action: 'publish', app: 'live', key: 'cam', protocol: 'rtmp', ip: '127.0.0.1', query: '', ...over });

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: (body: string, res: import('node:http').ServerResponse, path: string) => void): Promise<string> {
  const server = createServer((r, res) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => handler(Buffer.concat(chunks).toString('utf8'), res, r.url ?? '/'));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Authorizer', () => {
  it('static keys: a configured key publishes, another is refused with the reason; play stays open when the app says so', async () => {
    const auth = new Authorizer({ apps: { live: { strategies: [staticKeys([hashKey('s3cret-key')])], open: ['play'] } }, now: () => T });
    expect(await auth.authorize(req({ key: 's3cret-key' }))).toEqual({ allow: true, by: 'static-keys' });
    expect(await auth.authorize(req({ key: 'guess' }))).toEqual({ allow: false, by: 'static-keys', reason: 'stream key not recognised for live' });
    expect(await auth.authorize(req({ action: 'play', key: 'anything' }))).toEqual({ allow: true, by: 'open' });
    // An app with no policy (and no '*') is closed.
    expect((await auth.authorize(req({ app: 'other' }))).allow).toBe(false);
  });

  it('HMAC tokens: valid until their expiry, for their action and stream only', async () => {
    let now = T;
    const auth = new Authorizer({ apps: { '*': { strategies: [hmacTokens('shared')] } }, now: () => now, allowCacheMs: 0, denyCacheMs: 0 });
    const expiry = T / 1000 + 60;
    const token = signToken('shared', 'publish', 'live', 'cam', expiry);
    expect(await auth.authorize(req({ query: `token=${token}` }))).toEqual({ allow: true, by: 'hmac-token', lifetimeMs: 60_000 });
    expect((await auth.authorize(req({ key: 'other', query: `token=${token}` }))).allow).toBe(false);
    expect((await auth.authorize(req({ action: 'play', query: `token=${token}` }))).allow).toBe(false);
    expect(await auth.authorize(req({ query: `token=${expiry}.AAAA` }))).toMatchObject({ allow: false, reason: 'token signature does not match' });
    now = T + 61_000;
    expect(await auth.authorize(req({ query: `token=${token}` }))).toEqual({ allow: false, by: 'hmac-token', reason: 'token expired 1 s ago' });
    expect(await auth.authorize(req())).toMatchObject({ allow: false, by: 'policy' });
  });

  it('callback: allow with a public name and a lifetime, deny with its reason; decisions cached (allows and denies apart)', async () => {
    const seen: AuthRequest[] = [];
    const url = await serve((body, res) => {
      const r = JSON.parse(body) as AuthRequest;
      seen.push(r);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(r.key === 'secret-123' ? { allow: true, name: 'alice', lifetimeSeconds: 30 } : { allow: false, reason: 'unknown key' }));
    });
    let now = T;
    const auth = new Authorizer({ apps: { live: { strategies: [httpCallback({ url })] } }, now: () => now, allowCacheMs: 10_000, denyCacheMs: 1000 });
    expect(await auth.authorize(req({ key: 'secret-123', ip: '10.0.0.7' }))).toEqual({ allow: true, by: 'callback', name: 'alice', lifetimeMs: 30_000 });
    expect(seen[0]).toMatchObject({ action: 'publish', app: 'live', key: 'secret-123', ip: '10.0.0.7', protocol: 'rtmp' });
    expect(await auth.authorize(req({ key: 'nope' }))).toEqual({ allow: false, by: 'callback', reason: 'unknown key' });
    await auth.authorize(req({ key: 'secret-123', ip: '10.0.0.7' }));
    await auth.authorize(req({ key: 'nope' }));
    expect(seen).toHaveLength(2);
    now = T + 1500; // the deny expired, the allow did not
    await auth.authorize(req({ key: 'secret-123', ip: '10.0.0.7' }));
    await auth.authorize(req({ key: 'nope' }));
    expect(seen).toHaveLength(3);
  });

  it('callback down, slow or answering nonsense: denied (fail mode deny), allowed with fail mode allow', async () => {
    const down = await serve(() => undefined);
    servers.at(-1)!.close(); // nothing listens there now
    servers.pop();
    const slow = await serve(() => undefined); // never answers
    const nonsense = await serve((_b, res) => res.end('yes'));
    const decide = (url: string, failMode?: 'deny' | 'allow') => new Authorizer({ apps: { live: { strategies: [httpCallback({ url, timeoutMs: 300, ...(failMode === undefined ? {} : { failMode }) })] } } }).authorize(req());
    expect(await decide(down)).toMatchObject({ allow: false, by: 'callback' });
    expect((await decide(down)).allow === false && ((await decide(down)) as { reason: string }).reason).toMatch(/^callback unreachable/);
    expect(await decide(slow)).toMatchObject({ allow: false, reason: 'callback unreachable: no answer in 300 ms (fail mode deny)' });
    expect(await decide(nonsense)).toMatchObject({ allow: false, reason: 'callback answered without a boolean "allow" (fail mode deny)' });
    expect(await decide(down, 'allow')).toEqual({ allow: true, by: 'callback' });
  });

  it('JWT against a JWKS served over HTTP: the grant must cover the request; a bad signature or an expired token is refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const base = await serve((_b, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    const sign = (claims: Record<string, unknown>, exp: number, key = privateKey) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('https://issuer.example').setExpirationTime(exp).sign(key);
    const auth = new Authorizer({ apps: { live: { strategies: [jwtStrategy({ jwks: `${base}/jwks.json`, issuer: 'https://issuer.example' })] } }, now: () => T, allowCacheMs: 0, denyCacheMs: 0 });
    const exp = T / 1000 + 120;
    const good = await sign({ tidecast: [{ action: 'publish', app: 'live' }] }, exp);
    expect(await auth.authorize(req({ query: `token=${good}` }))).toEqual({ allow: true, by: 'jwt', lifetimeMs: 120_000 });
    expect(await auth.authorize(req({ protocol: 'http', bearer: good }))).toMatchObject({ allow: true });
    expect(await auth.authorize(req({ action: 'play', query: `token=${good}` }))).toEqual({ allow: false, by: 'jwt', reason: 'token does not grant play of live/cam' });
    const other = (await generateKeyPair('ES256')).privateKey;
    expect(await auth.authorize(req({ query: `token=${await sign({ tidecast: [{ action: 'publish' }] }, exp, other)}` }))).toMatchObject({ allow: false, by: 'jwt' });
    const expired = await sign({ tidecast: [{ action: 'publish' }] }, T / 1000 - 5);
    expect(await auth.authorize(req({ query: `token=${expired}` }))).toMatchObject({ allow: false, reason: expect.stringContaining('"exp" claim timestamp check failed') });
  });

  it("combine 'all': every strategy that judges must allow", async () => {
    const token = signToken('shared', 'publish', 'live', 'cam', T / 1000 + 60);
    const auth = new Authorizer({ apps: { live: { combine: 'all', strategies: [staticKeys([hashKey('cam')]), hmacTokens('shared')] } }, now: () => T });
    expect((await auth.authorize(req({ query: `token=${token}` }))).allow).toBe(true);
    expect((await auth.authorize(req({ key: 'cam', query: `token=${signToken('wrong', 'publish', 'live', 'cam', T / 1000 + 60)}` }))).allow).toBe(false);
  });
});
