"""A small OpenID Connect provider shaped like Pro Santé Connect, served over real HTTP on
127.0.0.1 (wsgiref in a thread), for the PSC tests.

It serves discovery at `{issuer}/.well-known/wallet-openid-configuration`, the JWKS,
authorize (auto-approves the configured professional), token (client authentication by
client_secret_basic or _post, PKCE S256 verified with authlib's own challenge function),
userinfo (JSON or a signed JWT) and end_session. ID tokens and JWT userinfo are signed with
joserfc (authlib's JOSE). `faults` turns one misbehaviour on for the negative tests:
`nonce`, `aud`, `expired`, `state`, `sub`, `signature`.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

CLIENT_ID = "caducee-test"
CLIENT_SECRET = "s3cret-de-test"
RPPS = "99700427885"  # the ANS sandbox test professional
SUB = f"f:a1b2c3d4-0000-4000-8000-000000000001:8{RPPS}"


def userinfo_claims(rpps: str = RPPS) -> dict[str, Any]:
    """Claims as the ANS sample shows them (shared REFERENCE.md §4)."""
    return {
        "SubjectNameID": f"8{rpps}",
        "preferred_username": f"8{rpps}",
        "given_name": "PIERRE",
        "family_name": "MARTIN",
        "email_verified": False,
        "otherIds": [{"identifiant": rpps, "origine": "RPPS", "qualite": 1}],
        "SubjectRefPro": {"exercices": [{"codeProfession": "10"}]},
        "authMode": "MOBILE",
    }


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Provider:
    """The running provider; `issuer` is what CADUCEE_PSC_ISSUER names in the tests."""

    claims: dict[str, Any] = field(default_factory=userinfo_claims)
    sub: str = SUB
    userinfo_jwt: bool = False
    faults: set[str] = field(default_factory=set)
    auth_methods: tuple[str, ...] = ("client_secret_basic", "client_secret_post")
    logouts: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    base: str = ""
    client_key: RSAKey | None = None  # set: the client authenticates with private_key_jwt

    def __post_init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig"})
        self.server: WSGIServer = make_server("127.0.0.1", 0, self.app, handler_class=_Quiet)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def rotate(self) -> None:
        """The provider changes its signing key (new kid), as keycloak does."""
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-2", "use": "sig"})

    @property
    def issuer(self) -> str:
        return f"{self.base}/auth/realms/esante-wallet"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- WSGI ------------------------------------------------------------------------
    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        realm = urlsplit(self.issuer).path
        routes = {
            f"{realm}/.well-known/wallet-openid-configuration": self._discovery,
            f"{realm}/protocol/openid-connect/certs": self._jwks,
            "/auth": self._authorize,
            f"{realm}/protocol/openid-connect/token": self._token,
            f"{realm}/protocol/openid-connect/userinfo": self._userinfo,
            f"{realm}/protocol/openid-connect/logout": self._logout,
        }
        handler = routes.get(path)
        if handler is None:
            status, headers, body = "404 Not Found", [], b"not found"
        else:
            status, headers, body = handler(environ, query)
        start_response(status, [("Content-Length", str(len(body))), *headers])
        return [body]

    @staticmethod
    def _json(data: dict[str, Any], status: str = "200 OK") -> tuple[str, list[Any], bytes]:
        return status, [("Content-Type", "application/json")], json.dumps(data).encode()

    def _discovery(self, environ: dict[str, Any], query: dict[str, str]) -> Any:
        endpoints = f"{self.issuer}/protocol/openid-connect"
        return self._json(
            {
                "issuer": "https://elsewhere.example" if "issuer" in self.faults else self.issuer,
                "authorization_endpoint": f"{self.base}/auth",
                "token_endpoint": f"{endpoints}/token",
                "userinfo_endpoint": f"{endpoints}/userinfo",
                "end_session_endpoint": f"{endpoints}/logout",
                "jwks_uri": f"{endpoints}/certs",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": list(self.auth_methods),
                "code_challenge_methods_supported": ["S256"],
                "acr_values_supported": ["eidas1"],
                "scopes_supported": ["openid", "scope_all"],
            }
        )

    def _jwks(self, environ: dict[str, Any], query: dict[str, str]) -> Any:
        return self._json({"keys": [self.key.as_dict(private=False)]})

    def _authorize(self, environ: dict[str, Any], query: dict[str, str]) -> Any:
        """Auto-approves: the test professional has already unlocked their e-CPS."""
        self.authorize_requests.append(query)
        checks = {
            "client_id": query.get("client_id") == CLIENT_ID,
            "response_type": query.get("response_type") == "code",
            "scope": query.get("scope") == "openid scope_all",
            "acr_values": query.get("acr_values") == "eidas1",
            "pkce": query.get("code_challenge_method") == "S256"
            and bool(query.get("code_challenge")),
            "nonce": bool(query.get("nonce")),
            "state": bool(query.get("state")),
        }
        failed = [name for name, ok in checks.items() if not ok]
        if failed:
            return "400 Bad Request", [], f"invalid request: {failed}".encode()
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        state = "forged-state" if "state" in self.faults else query["state"]
        target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': state})}"
        return "302 Found", [("Location", target)], b""

    def _client_of(self, environ: dict[str, Any], form: dict[str, str]) -> str | None:
        if form.get("client_assertion") and self.client_key is not None:
            return self._asserted_client(form["client_assertion"])
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Basic ") and "client_secret_basic" in self.auth_methods:
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return user if secret == CLIENT_SECRET else None
        if "client_secret_post" in self.auth_methods and form.get("client_secret"):
            ok = form.get("client_secret") == CLIENT_SECRET
            return form.get("client_id") if ok else None
        return None

    def _asserted_client(self, assertion: str) -> str | None:
        """private_key_jwt: the assertion signed by the client's key, for this endpoint."""
        assert self.client_key is not None
        try:
            token = jwt.decode(assertion, self.client_key)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": CLIENT_ID},
                sub={"essential": True, "value": CLIENT_ID},
                aud={"essential": True, "value": f"{self.issuer}/protocol/openid-connect/token"},
                exp={"essential": True},
            ).validate(token.claims)
        except JoseError:
            return None
        return CLIENT_ID

    def _token(self, environ: dict[str, Any], query: dict[str, str]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length).decode()
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        auth = "basic" if environ.get("HTTP_AUTHORIZATION") else "post"
        auth = "private_key_jwt" if form.get("client_assertion") else auth
        self.token_requests.append(form | {"auth": auth})
        if self._client_of(environ, form) != CLIENT_ID:
            return self._json({"error": "invalid_client"}, "401 Unauthorized")
        request = self.codes.pop(form.get("code", ""), None)
        if request is None or form.get("redirect_uri") != request["redirect_uri"]:
            return self._json({"error": "invalid_grant"}, "400 Bad Request")
        challenge = create_s256_code_challenge(form.get("code_verifier", ""))
        if challenge != request["code_challenge"]:
            return self._json(
                {"error": "invalid_grant", "error_description": "PKCE"}, "400 Bad Request"
            )
        access = secrets.token_urlsafe(24)
        self.tokens.add(access)
        return self._json(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 120,
                "id_token": self._id_token(request),
            }
        )

    def _sign(self, claims: dict[str, Any]) -> str:
        key = self.other_key if "signature" in self.faults else self.key
        return jwt.encode({"alg": "RS256", "kid": self.key.kid or ""}, claims, key)

    def _id_token(self, request: dict[str, str]) -> str:
        now = int(time.time())
        expiry = now - 600 if "expired" in self.faults else now + 300
        return self._sign(
            {
                "iss": self.issuer,
                "sub": self.sub,
                "aud": "someone-else" if "aud" in self.faults else CLIENT_ID,
                "exp": expiry,
                "iat": now - 700 if "expired" in self.faults else now,
                "auth_time": now,
                "nonce": "forged-nonce" if "nonce" in self.faults else request["nonce"],
                "acr": "eidas1",
                "azp": CLIENT_ID,
            }
        )

    def _userinfo(self, environ: dict[str, Any], query: dict[str, str]) -> Any:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer ") or header[7:] not in self.tokens:
            return self._json({"error": "invalid_token"}, "401 Unauthorized")
        sub = "f:someone-else" if "sub" in self.faults else self.sub
        claims = {"sub": sub, **self.claims}
        if not self.userinfo_jwt:
            return self._json(claims)
        body = self._sign({**claims, "iss": self.issuer, "aud": CLIENT_ID})
        return "200 OK", [("Content-Type", "application/jwt")], body.encode()

    def _logout(self, environ: dict[str, Any], query: dict[str, str]) -> Any:
        self.logouts.append(query)
        target = query.get("post_logout_redirect_uri", "")
        if not target:
            return "200 OK", [("Content-Type", "text/plain")], b"logged out"
        location = f"{target}?{urlencode({'state': query.get('state', '')})}"
        return "302 Found", [("Location", location)], b""


@contextmanager
def configured(settings: Any) -> Iterator[Provider]:
    """A running provider, with the three CADUCEE_PSC_* settings pointing at it."""
    from caducee.identity.psc.client import forget_cache

    running = Provider()
    settings.PSC_CLIENT_ID = CLIENT_ID
    settings.PSC_CLIENT_SECRET = CLIENT_SECRET
    settings.PSC_ISSUER = running.issuer
    try:
        yield running
    finally:
        running.stop()
        forget_cache()
