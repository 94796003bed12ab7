import { hashKey, hmacTokens, httpCallback, jwtStrategy, staticKeys, type AppAuthPolicy, type AuthStrategy, type MediaServerOptions } from '../server/index.js';
import { isKeyHash } from './config-schema.js';
import type { AuthConfig, ConfigSections, StrategyConfig } from './control-config.js';
import { objectStorageOptions } from './storage-config.js';

/**
 * The config file's control-plane sections → createMediaServer's options. A section or key left
 * out gives no option, so the server keeps its own default (no auth: open; no webhooks; the API on
 * loopback only). Plain static keys are hashed here, at load: the strategies hold only their SHA-256.
 */

export function controlPlaneOptions(sections: ConfigSections): Pick<MediaServerOptions, 'auth' | 'webhooks' | 'api' | 'metrics' | 'objectStorage'> {
  const { auth, webhooks, api, metrics, objectStorage } = sections;
  return {
    ...(auth === undefined ? {} : { auth: authOptions(auth) }),
    ...(webhooks === undefined ? {} : { webhooks: { ...webhooks, endpoints: webhooks.endpoints ?? [] } }),
    ...(api === undefined ? {} : { api }),
    ...(metrics === undefined ? {} : { metrics }),
    ...(objectStorage === undefined ? {} : { objectStorage: objectStorageOptions(objectStorage) }),
  };
}

function authOptions(auth: AuthConfig): NonNullable<MediaServerOptions['auth']> {
  const apps = Object.fromEntries(
    Object.entries(auth.apps).map(([app, p]): [string, AppAuthPolicy] => [app, withoutUndefined({ strategies: p.strategies.map(strategy), combine: p.combine, open: p.open })]),
  );
  return withoutUndefined({ apps, allowCacheMs: auth.allowCacheMs, denyCacheMs: auth.denyCacheMs, sessions: auth.sessions });
}

function strategy(s: StrategyConfig): AuthStrategy {
  switch (s.type) {
    case 'static-keys':
      return staticKeys(
        s.keys.map((key) => (isKeyHash(key) ? key.toLowerCase() : hashKey(key))),
        s.actions,
      );
    case 'hmac':
      return hmacTokens(s.secret);
    case 'callback':
      return httpCallback(withoutUndefined({ url: s.url, timeoutMs: s.timeoutMs, failMode: s.failMode }));
    case 'jwt':
      return jwtStrategy(withoutUndefined({ jwks: s.jwks, issuer: s.issuer, audience: s.audience }));
  }
}


/**
 * What the start banner says of authorization, with no secret in it: each app's strategy kinds
 * and open actions (`live: static-keys, play open; *: jwt`). Undefined without `auth`.
 */
export function describeAuth(auth: AuthConfig | undefined): string | undefined {
  if (auth === undefined) return undefined;
  const apps = Object.entries(auth.apps).map(([app, p]) => {
    const open = p.open === undefined || p.open.length === 0 ? '' : `, ${p.open.join(' and ')} open`;
    return `${app}: ${p.strategies.map((s) => s.type).join(p.combine === 'all' ? ' and ' : ' or ')}${open}`;
  });
  return apps.join('; ');
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
