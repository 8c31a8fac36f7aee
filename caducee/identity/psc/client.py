"""The OpenID Connect exchange with Pro Santé Connect, done by authlib and joserfc.

- discovery at `{issuer}/.well-known/wallet-openid-configuration` (PSC's name), kept a
  few minutes per issuer with its JWKS;
- the authorization request: scope `openid scope_all`, `acr_values=eidas1`, PKCE S256,
  state and nonce (`start`);
- the return (`finish`): authlib checks the state and sends the code with its PKCE
  verifier; the ID token is verified against the JWKS (signature, `iss`, `aud`, `exp`,
  `nonce`, `at_hash`), then userinfo is read — as JSON or as a signed JWT
  (`application/jwt`), verified the same way — and must name the same `sub`;
- logout at the provider (`logout_url`, its `end_session_endpoint`).

Every failure is a `PscError` with a French message; `ProviderDown` when the provider does
not answer (timeouts are short: the login page must stay usable).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.urls import add_params_to_uri
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from caducee.identity.psc.config import ACR_VALUES, SCOPE, TIMEOUT_SECONDS, PscConfig

METADATA_SECONDS = 300
LEEWAY_SECONDS = 60
REQUIRED_METADATA = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
)
DOWN = (
    "Pro Santé Connect ne répond pas pour le moment. Réessayez dans quelques minutes, ou "
    "connectez-vous avec votre adresse mail et votre mot de passe."
)
REFUSED = (
    "La connexion avec Pro Santé Connect n'a pas pu être vérifiée. Recommencez depuis la "
    "page de connexion ; si cela se reproduit, connectez-vous avec votre adresse mail et "
    "votre mot de passe et prévenez l'administrateur de votre structure."
)


class PscError(Exception):
    """The exchange failed: `message` for the person, `reason` for the audit log."""

    def __init__(self, reason: str, message: str = REFUSED) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


class ProviderDown(PscError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason, DOWN)


@dataclass(frozen=True)
class Identity:
    """What the provider vouched for: its `sub`, the merged claims, the raw ID token."""

    sub: str
    claims: dict[str, Any]
    id_token: str


@dataclass
class _Cached:
    metadata: dict[str, Any]
    keys: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        data = response.json()
    except requests.RequestException as exc:
        raise ProviderDown(f"unreachable: {url}: {type(exc).__name__}") from exc
    except ValueError as exc:
        raise ProviderDown(f"not json: {url}") from exc
    if not isinstance(data, dict):
        raise ProviderDown(f"not an object: {url}")
    return data


def _discover(config: PscConfig, *, refresh: bool = False) -> _Cached:
    """The provider's metadata and JWKS, fetched again after `METADATA_SECONDS`."""
    with _lock:
        cached = _cache.get(config.issuer)
    if cached is not None and not refresh and time.monotonic() - cached.at < METADATA_SECONDS:
        return cached
    metadata = _get_json(config.discovery_url)
    missing = [name for name in REQUIRED_METADATA if not metadata.get(name)]
    if missing:
        raise ProviderDown(f"metadata without {', '.join(missing)}")
    if str(metadata["issuer"]).rstrip("/") != config.issuer:
        raise PscError(f"issuer mismatch: {metadata['issuer']}")
    fresh = _Cached(metadata, _get_json(str(metadata["jwks_uri"])), time.monotonic())
    with _lock:
        _cache[config.issuer] = fresh
    return fresh


def _session(config: PscConfig, metadata: dict[str, Any], redirect_uri: str) -> OAuth2Session:
    method = _auth_method(config, metadata)
    session = OAuth2Session(
        config.client_id,
        config.client_secret,
        token_endpoint_auth_method=method,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=TIMEOUT_SECONDS,
    )
    if method == "private_key_jwt":
        session.register_client_auth_method(PrivateKeyJWT(metadata["token_endpoint"]))
    return session


def _auth_method(config: PscConfig, metadata: dict[str, Any]) -> str:
    """private_key_jwt for a PEM key; else client_secret_basic unless only _post is offered."""
    if config.uses_private_key:
        return "private_key_jwt"
    offered = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" not in offered and "client_secret_post" in offered:
        return "client_secret_post"
    return "client_secret_basic"


def start(config: PscConfig, redirect_uri: str) -> tuple[str, dict[str, str]]:
    """The provider's authorization URL and the flow to keep in the session until return."""
    cached = _discover(config)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(24)
    url, state = _session(config, cached.metadata, redirect_uri).create_authorization_url(
        cached.metadata["authorization_endpoint"],
        code_verifier=verifier,
        nonce=nonce,
        acr_values=ACR_VALUES,
    )
    return str(url), {"state": str(state), "nonce": nonce, "verifier": verifier}


def finish(
    config: PscConfig, flow: dict[str, str], callback_url: str, redirect_uri: str
) -> Identity:
    """Check the return, exchange the code, verify the ID token and read userinfo."""
    cached = _discover(config)
    session = _session(config, cached.metadata, redirect_uri)
    try:
        token = session.fetch_token(
            cached.metadata["token_endpoint"],
            authorization_response=callback_url,
            state=flow.get("state", ""),
            code_verifier=flow.get("verifier", ""),
        )
    except requests.RequestException as exc:
        raise ProviderDown(f"token endpoint: {type(exc).__name__}") from exc
    except (AuthlibBaseError, ValueError, KeyError) as exc:
        raise PscError(f"token: {type(exc).__name__}: {exc}") from exc
    id_token = str(token.get("id_token") or "")
    if not id_token:
        raise PscError("token without id_token")
    claims = _verify_id_token(config, cached, id_token, flow.get("nonce", ""), token)
    userinfo = _userinfo(config, cached, session)
    if userinfo.get("sub") != claims.get("sub"):
        raise PscError("userinfo sub differs from the ID token's")
    return Identity(sub=str(claims["sub"]), claims={**claims, **userinfo}, id_token=id_token)


def _decode(cached: _Cached, value: str, config: PscConfig) -> jwt.Token:
    """Verify a JWT's signature; an unknown key id fetches the JWKS again once (rotation)."""
    registry = JWSRegistry(
        algorithms=cached.metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    )
    try:
        keys = KeySet.import_key_set(cached.keys)  # type: ignore[arg-type]  # JWKS as served
        return jwt.decode(value, keys, registry=registry)
    except InvalidKeyIdError:
        fresh = _discover(config, refresh=True)
        keys = KeySet.import_key_set(fresh.keys)  # type: ignore[arg-type]
        return jwt.decode(value, keys, registry=registry)


def _verify_id_token(
    config: PscConfig, cached: _Cached, id_token: str, nonce: str, token: dict[str, Any]
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": config.issuer},
        "aud": {"essential": True, "value": config.client_id},
        "exp": {"essential": True},
    }
    params = {"nonce": nonce, "client_id": config.client_id, "access_token": token["access_token"]}
    try:
        decoded = _decode(cached, id_token, config)
        claims = CodeIDToken(decoded.claims, decoded.header, options, params)
        claims.validate(leeway=LEEWAY_SECONDS)
    except (JoseError, AuthlibBaseError, ValueError) as exc:
        raise PscError(f"id_token: {type(exc).__name__}: {exc}") from exc
    if not nonce:
        raise PscError("no nonce kept for this login")
    return dict(claims)


def _userinfo(config: PscConfig, cached: _Cached, session: OAuth2Session) -> dict[str, Any]:
    """Userinfo as JSON, or as a JWT signed by the provider (then verified like the ID token)."""
    try:
        response = session.get(cached.metadata["userinfo_endpoint"])
        response.raise_for_status()
    except requests.RequestException as exc:
        raise ProviderDown(f"userinfo: {type(exc).__name__}") from exc
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind != "application/jwt":
        try:
            data = response.json()
        except ValueError as exc:
            raise PscError("userinfo: not json") from exc
        if not isinstance(data, dict):
            raise PscError("userinfo: not an object")
        return data
    options: dict[str, Any] = {
        "iss": {"value": config.issuer},
        "aud": {"value": config.client_id},
    }
    try:
        decoded = _decode(cached, response.text.strip(), config)
        jwt.JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **options).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise PscError(f"userinfo jwt: {type(exc).__name__}: {exc}") from exc
    return dict(decoded.claims)


def logout_url(config: PscConfig, id_token: str, post_logout_redirect_uri: str) -> str:
    """The provider's end-session URL ('' when it has none or does not answer)."""
    try:
        metadata = _discover(config).metadata
    except PscError:
        return ""
    endpoint = str(metadata.get("end_session_endpoint") or "")
    if not endpoint:
        return ""
    params = [
        ("id_token_hint", id_token),
        ("post_logout_redirect_uri", post_logout_redirect_uri),
        ("client_id", config.client_id),
        ("state", secrets.token_urlsafe(16)),
    ]
    return str(add_params_to_uri(endpoint, params))


def forget_cache() -> None:
    """Drop every cached discovery (tests; an operator changing the issuer restarts)."""
    with _lock:
        _cache.clear()
