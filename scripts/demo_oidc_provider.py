"""A small OpenID Connect provider for the demo and the tests, built with Authlib's server side.

It signs in the demo partner employees (a login form), and serves discovery, JWKS, the authorization
endpoint (code flow, PKCE S256 required), the token endpoint (client_secret_basic or _post) and
userinfo. Its RS256 key is generated at start and lives only in memory.

    python scripts/demo_oidc_provider.py --port 8090 \
        --redirect-uri http://partners.localhost:5000/sso/oidc/callback

The tests drive the same provider in a thread and make it misbehave on purpose
(``provider.overrides``, ``provider.tamper_signature``, ``provider.rotate_key()``).
"""

from __future__ import annotations

import argparse
import secrets
import time
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.grants.util import create_half_hash
from flask import Flask, jsonify, request
from joserfc import jwt
from joserfc.jwk import RSAKey

DEMO_CLIENT_ID = "atrium-partners"
DEMO_CLIENT_SECRET = "partner-sso-demo-secret"  # noqa: S105 - the documented demo secret
DEMO_PASSWORD = "partner-demo"  # noqa: S105 - the documented demo password

# The demo partner employees: a stable subject, and what the provider says about them.
DEMO_USERS: dict[str, dict[str, Any]] = {
    "jordan": {
        "password": DEMO_PASSWORD,
        "claims": {
            "sub": "partner-0001",
            "email": "jordan@partners.example",
            "email_verified": True,
            "given_name": "Jordan",
            "family_name": "Reyes",
            "name": "Jordan Reyes",
            "job_title": "Solutions engineer",
            "groups": ["Gold partners"],
        },
    },
    "casey": {
        "password": DEMO_PASSWORD,
        "claims": {
            "sub": "partner-0002",
            "email": "casey@partners.example",
            "email_verified": True,
            "given_name": "Casey",
            "family_name": "Nguyen",
            "name": "Casey Nguyen",
            "job_title": "Account manager",
            "groups": ["Silver partners"],
        },
    },
}


@dataclass
class DemoClient(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    auth_methods: tuple[str, ...] = ("client_secret_basic", "client_secret_post")

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "email", "profile", "groups"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint != "token" or method in self.auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class DemoProvider:
    """The provider's state: keys, clients, people, codes and tokens, all in memory."""

    def __init__(
        self,
        issuer: str,
        redirect_uris: list[str],
        *,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        users: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.clients = {client_id: DemoClient(client_id, client_secret, list(redirect_uris))}
        self.users = {name: {**u, "claims": dict(u["claims"])} for name, u in (users or DEMO_USERS).items()}
        self.keys: list[RSAKey] = []
        self.rotate_key()
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, str] = {}  # access token -> username
        # For the tests: claims to force into (or leave out of) the ID tokens, a broken signature or one
        # by a key the JWKS never lists, the client authentication it takes, request counts.
        self.overrides: dict[str, Any] = {}
        self.left_out: set[str] = set()
        self.tamper_signature = False
        self.sign_with_unlisted_key = False
        self.token_auth_methods = ["client_secret_basic", "client_secret_post"]
        self.jwks_requests = 0
        self.app = self._build_app()

    def rotate_key(self, *, keep_old: bool = False) -> str:
        """Sign with a new key from now on; the JWKS lists only it unless *keep_old*."""
        key = RSAKey.generate_key(
            2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"}
        )
        self.keys = [*self.keys, key] if keep_old else [key]
        return str(key.kid)

    @property
    def signing_key(self) -> RSAKey:
        return self.keys[-1]

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "token_endpoint_auth_methods_supported": list(self.token_auth_methods),
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "name", "given_name", "family_name", "groups"],
        }

    def _build_app(self) -> Flask:
        provider = self
        app = Flask("demo_oidc_provider")
        app.config["SECRET_KEY"] = secrets.token_hex(16)

        class Grant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, req: Any) -> None:
                provider.codes[code] = Code(
                    code=code,
                    client_id=req.client.client_id,
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.scope,
                    username=req.user,
                    nonce=req.payload.data.get("nonce"),
                    code_challenge=req.payload.data.get("code_challenge"),
                    code_challenge_method=req.payload.data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code: str, client: Any) -> Code | None:
                item = provider.codes.get(code)
                return item if item is not None and item.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> str:
                return authorization_code.username

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def generate_user_info(self, user: str, scope: str) -> UserInfo:
                return provider.user_info(user, scope)

            def encode_id_token(self, token: dict[str, Any], req: Any) -> str:
                now = int(time.time())
                claims: dict[str, Any] = {
                    "iss": provider.issuer,
                    "aud": [req.client.get_client_id()],
                    "iat": now,
                    "exp": now + 300,
                    "auth_time": req.authorization_code.get_auth_time(),
                }
                if nonce := req.authorization_code.get_nonce():
                    claims["nonce"] = nonce
                at_hash = create_half_hash(token["access_token"], "RS256")
                if at_hash is not None:
                    claims["at_hash"] = at_hash.decode()
                claims.update(provider.user_info(req.user, token["scope"]))
                claims.update(provider.overrides)
                for name in provider.left_out:
                    claims.pop(name, None)
                key = provider.signing_key
                if provider.sign_with_unlisted_key:
                    key = RSAKey.generate_key(2048, parameters={"kid": "unlisted", "alg": "RS256"})
                encoded = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key, ["RS256"])
                if provider.tamper_signature:
                    head, body, signature = encoded.split(".")
                    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
                    encoded = f"{head}.{body}.{flipped}"
                return encoded

        def query_client(client_id: str) -> DemoClient | None:
            return provider.clients.get(client_id)

        def save_token(token: dict[str, Any], req: Any) -> None:
            provider.tokens[token["access_token"]] = req.user

        server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
        server.register_grant(Grant, [CodeChallenge(required=True), IdToken(require_nonce=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify(provider.discovery())

        @app.get("/jwks")
        def jwks() -> Any:
            provider.jwks_requests += 1
            return jsonify({"keys": [key.as_dict(private=False) for key in provider.keys]})

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Any:
            try:
                grant = server.get_consent_grant(end_user=None)
            except Exception as error:  # an unknown client or redirect: never redirect back
                return f"<p>Bad request: {escape(str(error))}</p>", 400
            error = ""
            if request.method == "POST":
                if request.form.get("action") == "deny":
                    return server.create_authorization_response(grant_user=None, grant=grant)
                username = (request.form.get("username") or "").strip().lower()
                person = provider.users.get(username)
                password = request.form.get("password") or ""
                if person is not None and secrets.compare_digest(password, person["password"]):
                    return server.create_authorization_response(grant_user=username, grant=grant)
                error = "<p role='alert'>Wrong user name or password.</p>"
            people = ", ".join(sorted(provider.users))
            action = f"/authorize?{urlencode(request.args)}"
            return (
                "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width'><title>Partner SSO</title></head>"
                "<body><main><h1>Partner SSO (demo)</h1>"
                f"<p>Demo people: {escape(people)}; password {escape(DEMO_PASSWORD)}.</p>{error}"
                f"<form method='post' action='{escape(action)}'>"
                "<p><label for='username'>User name</label> <input id='username' name='username' "
                "autocomplete='username' required></p>"
                "<p><label for='password'>Password</label> <input id='password' name='password' "
                "type='password' autocomplete='current-password' required></p>"
                "<p><button name='action' value='sign-in'>Sign in</button> "
                "<button name='action' value='deny' formnovalidate>Cancel</button></p>"
                "</form></main></body></html>"
            )

        @app.post("/token")
        def token() -> Any:
            return server.create_token_response()

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo() -> Any:
            scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
            username = provider.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
            if username is None:
                return jsonify({"error": "invalid_token"}), 401, {"WWW-Authenticate": "Bearer"}
            return jsonify(dict(provider.user_info(username, "openid email profile groups")))

        return app

    def user_info(self, username: str, scope: str) -> UserInfo:
        claims = self.users[username]["claims"]
        scopes = set((scope or "").split())
        info = UserInfo(sub=claims["sub"])
        if "email" in scopes:
            info.update({k: claims[k] for k in ("email", "email_verified") if k in claims})
        if "profile" in scopes:
            info.update(
                {k: claims[k] for k in ("name", "given_name", "family_name", "job_title") if k in claims}
            )
        if "groups" in scopes or "profile" in scopes:
            info.update({k: claims[k] for k in ("groups",) if k in claims})
        return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--issuer", help="defaults to http://<host>:<port>")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        help="Atrium's callback address (repeatable); default http://partners.localhost:5000/sso/oidc/callback",
    )
    args = parser.parse_args()
    issuer = args.issuer or f"http://{args.host}:{args.port}"
    redirects = args.redirect_uri or ["http://partners.localhost:5000/sso/oidc/callback"]
    provider = DemoProvider(issuer, redirects)
    print(
        f"Demo OpenID Connect provider at {issuer} (client {DEMO_CLIENT_ID}; people {', '.join(DEMO_USERS)})"
    )
    from werkzeug.serving import run_simple

    run_simple(args.host, args.port, provider.app, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
