// A real OpenID Connect provider for the login tests: panva's oidc-provider
// (a certified implementation) with its development login page.
//
//   node provider.mjs settings.json
//
// settings.json: {"issuer": "http://127.0.0.1:PORT", "port": PORT,
//   "clients": [{"client_id", "client_secret", "redirect_uris"}],
//   "accounts_file": "accounts.json", "access_token_ttl": 60,
//   "resource_servers": {"rucio": {}, "rucio-brief": {"audience": "rucio", "ttl": 1}}}
//
// accounts.json maps a login to its claims ({"alice": {"groups": [...]}}); it
// is read again at every lookup, so a test changes a user's groups at the
// provider by rewriting it. The login page accepts any password for a known
// login. Consent is granted automatically (a first-party client), refresh
// tokens are issued for offline_access, and RFC 8693 token exchange is
// registered as an extra grant type (oidc-provider has none built in; it
// issues a token for one of `resource_servers`, like INDIGO IAM does).
//
// Login access tokens are opaque (for userinfo). A token for a resource
// server (RFC 8707 resource indicator, or the audience of a token exchange)
// is a JWT signed with the provider's keys, carrying `aud`, `scope`, `sub` and
// `iss`: what a resource server such as Rucio validates by itself against the
// provider's discovery document and JWKS. A resource server's `audience`
// defaults to its name and its `ttl` (s) to `access_token_ttl`.
import { readFileSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const SCOPES = ['openid', 'offline_access', 'profile', 'email'];

function accounts() {
  return JSON.parse(readFileSync(settings.accounts_file, 'utf8'));
}

// features.resourceIndicators.getResourceServerInfo, also used for exchanges.
function resourceServerInfo(indicator) {
  const server = (settings.resource_servers ?? {})[indicator];
  if (!server) throw new errors.InvalidTarget(`resource ${indicator} is not known`);
  return {
    scope: SCOPES.join(' '),
    audience: server.audience ?? indicator,
    accessTokenFormat: 'jwt',
    accessTokenTTL: server.ttl ?? settings.access_token_ttl ?? 3600,
  };
}

const configuration = {
  clients: settings.clients.map((client) => ({
    ...client,
    grant_types: ['authorization_code', 'refresh_token', EXCHANGE],
    response_types: ['code'],
  })),
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name', 'groups'],
    email: ['email', 'email_verified'],
  },
  scopes: SCOPES,
  features: {
    devInteractions: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      getResourceServerInfo: (ctx, indicator) => resourceServerInfo(indicator),
    },
  },
  ttl: {
    AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL
      ?? settings.access_token_ttl ?? 3600,
    IdToken: 3600,
    RefreshToken: 86400,
    Grant: 86400,
    Session: 86400,
    Interaction: 3600,
  },
  async findAccount(ctx, id) {
    const claims = accounts()[id];
    if (!claims) return undefined;
    return {
      accountId: id,
      async claims() {
        const now = accounts()[id] ?? claims;
        return {
          sub: id,
          preferred_username: id,
          name: id,
          email: `${id}@example.org`,
          email_verified: true,
          ...now,
        };
      },
    };
  },
  // A first-party client: every requested scope and claim is granted without
  // a consent page (the login page is what the tests drive).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid');
    grant.addOIDCClaims(['preferred_username', 'name', 'groups', 'email', 'email_verified']);
    await grant.save();
    return grant;
  },
  pkce: { required: () => true },
  // Like INDIGO IAM for a client allowed the refresh_token grant: a refresh
  // token at every login, without a consent prompt (oidc-provider otherwise
  // drops offline_access unless the login asked for prompt=consent).
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
};

const provider = new Provider(settings.issuer, configuration);

provider.registerGrantType(
  EXCHANGE,
  async (ctx) => {
    const { params, client } = ctx.oidc;
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest('subject_token_type must be an access token');
    }
    const subject = await provider.AccessToken.find(params.subject_token);
    if (!subject || subject.isExpired || subject.clientId !== client.clientId) {
      throw new errors.InvalidGrant('subject_token is invalid or expired');
    }
    const info = resourceServerInfo(params.audience);
    const token = new provider.AccessToken({
      accountId: subject.accountId,
      client,
      grantId: subject.grantId,
      scope: subject.scope,
      gty: 'token_exchange',
      resourceServer: new provider.ResourceServer(params.audience, info),
    });
    const value = await token.save();
    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: token.expiration,
      scope: token.scope,
    };
  },
  ['subject_token', 'subject_token_type', 'audience', 'requested_token_type', 'scope'],
);

provider.listen(settings.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${settings.issuer}`);
});
