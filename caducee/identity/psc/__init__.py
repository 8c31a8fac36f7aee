"""Login with Pro Santé Connect (PSC), the national OpenID Connect provider of health
professionals (docs/IDENTITY.md, section Pro Santé Connect).

- `config`: the three settings and the issuers they name;
- `client`: the OpenID Connect exchange with authlib (discovery, PKCE, ID token and
  userinfo checked against the provider's keys, logout at the provider);
- `matching`: the person's national identifier and the accounts that carry it;
- `operations`: the audited login and refusals;
- `views`: the web adapters (start, return from the provider, choice of account).
"""
