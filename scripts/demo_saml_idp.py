"""A demo SAML identity provider for trying "Sign in with Acme SSO": ``python scripts/demo_saml_idp.py``.

Serves http://localhost:8089 (``--port`` or DEMO_SAML_IDP_PORT to change): its metadata at
/metadata, a sign-in form for the demo employees of Acme (jo.doe or sam.lee, password "demo")
at /sso, and /slo for signing out. It trusts any Atrium portal on this machine (a *.localhost
service provider), reading the portal's metadata when a sign-in starts. For the demo only.
"""

from __future__ import annotations

import argparse
import base64
import html
import os
import secrets
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.identity.saml import demo_idp

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}}
label,input,select,button{{display:block;width:100%;margin:.3rem 0;font-size:1rem;padding:.4rem}}
.hint{{color:#555}}</style></head><body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(PAGE.format(title=html.escape(title), body=body), status, mimetype="text/html")


def _sp_metadata(entity_id: str) -> str:
    """The metadata of an Atrium portal on this machine, read from the portal itself."""
    parts = urlsplit(entity_id)
    host = parts.hostname or ""
    if parts.scheme != "http" or not (host == "localhost" or host.endswith(".localhost")):
        raise ValueError(f"the demo IdP only trusts portals on this machine, not {entity_id}")
    url = f"http://127.0.0.1:{parts.port or 80}{parts.path}"
    request = urllib.request.Request(url, headers={"Host": parts.netloc})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a local portal only
        return response.read().decode()


class DemoIdP:
    def __init__(self, directory: Path, url: str) -> None:
        self.directory, self.url = directory, url
        self.pending: dict[str, tuple[str, str, str | None]] = {}  # form key -> (SP, request, RelayState)

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        handler = {
            "/metadata": self.metadata,
            "/sso": self.sso,
            "/login": self.login,
            "/slo": self.slo,
        }.get(request.path)
        response = handler(request) if handler else _page("Not found", "<p>Nothing here.</p>", 404)
        return response(environ, start_response)

    def metadata(self, request: Request) -> Response:
        document = demo_idp.metadata(self.directory, self.url)
        return Response(document, mimetype="application/samlmetadata+xml")

    def sso(self, request: Request) -> Response:
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.s_utils import decode_base64_and_inflate
        from saml2.samlp import authn_request_from_string

        saml_request = request.args.get("SAMLRequest", "")
        try:
            sp_entity_id = authn_request_from_string(decode_base64_and_inflate(saml_request)).issuer.text
            server = demo_idp.server(self.directory, self.url, [_sp_metadata(sp_entity_id)])
            server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        except Exception as error:  # the demo explains, it does not crash
            return _page(
                "Acme SSO", f"<p>This sign-in request cannot be used: {html.escape(str(error))}</p>", 400
            )
        key = secrets.token_urlsafe(16)
        self.pending[key] = (sp_entity_id, saml_request, request.args.get("RelayState"))
        options = "".join(
            f'<option value="{html.escape(name)}">{html.escape(" ".join(a["givenName"] + a["sn"]))} '
            f"({html.escape(a['mail'][0])})</option>"
            for name, a in demo_idp.EMPLOYEES.items()
        )
        body = f"""<p class="hint">Demo identity provider. Every employee's password is
<code>{demo_idp.PASSWORD}</code>.</p>
<form method="post" action="/login"><input type="hidden" name="key" value="{key}">
<label for="user">Employee</label><select id="user" name="user">{options}</select>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form>"""
        return _page("Sign in to Acme SSO", body)

    def login(self, request: Request) -> Response:
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

        pending = self.pending.pop(request.form.get("key", ""), None)
        user = request.form.get("user", "")
        if pending is None:
            return _page("Acme SSO", "<p>This sign-in has expired: start again from the portal.</p>", 400)
        if user not in demo_idp.EMPLOYEES or request.form.get("password") != demo_idp.PASSWORD:
            return _page("Acme SSO", "<p>Wrong password: go back and try again.</p>", 401)
        sp_entity_id, saml_request, relay_state = pending
        server = demo_idp.server(self.directory, self.url, [_sp_metadata(sp_entity_id)])
        parsed = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        _binding, destination = server.pick_binding(
            "assertion_consumer_service", request=parsed.message, entity_id=sp_entity_id
        )
        response = server.create_authn_response(
            demo_idp.EMPLOYEES[user],
            parsed.message.id,
            destination,
            sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=f"acme-{user}"),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_response=True,
            sign_assertion=True,
        )
        encoded = base64.b64encode(str(response).encode()).decode()
        relay = (
            f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
            if relay_state
            else ""
        )
        body = f"""<p>Signed in as {html.escape(user)}. Going back to the portal…</p>
<form id="back" method="post" action="{html.escape(destination)}">
<input type="hidden" name="SAMLResponse" value="{encoded}">{relay}
<button type="submit">Continue to the portal</button></form>
<script>document.getElementById("back").submit()</script>"""
        return _page("Acme SSO", body)

    def slo(self, request: Request) -> Response:
        """Sign out here, and answer the portal that asked, which then shows its sign-in page."""
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.s_utils import decode_base64_and_inflate
        from saml2.samlp import logout_request_from_string
        from saml2.xmldsig import SIG_RSA_SHA256

        saml_request = request.args.get("SAMLRequest", "")
        try:
            sp_entity_id = logout_request_from_string(decode_base64_and_inflate(saml_request)).issuer.text
            server = demo_idp.server(self.directory, self.url, [_sp_metadata(sp_entity_id)])
            parsed = server.parse_logout_request(saml_request, BINDING_HTTP_REDIRECT)
            answer = server.create_logout_response(parsed.message, [BINDING_HTTP_REDIRECT], sign=False)
            _binding, destination = server.pick_binding(
                "single_logout_service", [BINDING_HTTP_REDIRECT], "spsso", entity_id=sp_entity_id
            )
            info = server.apply_binding(
                BINDING_HTTP_REDIRECT,
                str(answer),
                destination,
                request.args.get("RelayState") or "",
                response=True,
                sign=True,
                sigalg=SIG_RSA_SHA256,
            )
        except Exception:  # nothing to answer: still signed out here
            return _page("Acme SSO", "<p>You are signed out of Acme SSO. You can close this tab.</p>")
        return Response(status=302, headers={"Location": dict(info["headers"])["Location"]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("DEMO_SAML_IDP_PORT", demo_idp.DEFAULT_PORT))
    )
    parser.add_argument("--instance", default=os.environ.get("ATRIUM_INSTANCE_PATH") or "instance")
    options = parser.parse_args()
    url = demo_idp.base_url(options.port)
    directory = Path(options.instance) / "demo-saml-idp"
    print(f"Demo SAML IdP (Acme SSO) on {url}: employees jo.doe and sam.lee, password {demo_idp.PASSWORD}")
    run_simple("127.0.0.1", options.port, DemoIdP(directory, url), use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
