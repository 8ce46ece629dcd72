"""The demo identity provider ("Acme SSO"), shared by ``scripts/demo_saml_idp.py`` (which serves it)
and ``flask demo`` (which trusts its metadata): a pysaml2 IdP whose key lives in the instance folder.
For trying Atrium only; never for a real portal."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8089
# The demo employees of Acme: who may sign in at the demo IdP (password: demo).
EMPLOYEES: dict[str, dict[str, list[str]]] = {
    "jo.doe": {
        "mail": ["jo.doe@acme.example"],
        "givenName": ["Jo"],
        "sn": ["Doe"],
        "title": ["Warehouse associate"],
        "memberOf": ["new-hires"],
    },
    "sam.lee": {
        "mail": ["sam.lee@acme.example"],
        "givenName": ["Sam"],
        "sn": ["Lee"],
        "title": ["Account executive"],
        "memberOf": ["sales"],
    },
    # Acme's demo people who have an account already: their first SSO sign-in links it (acme.example is
    # Acme SSO's domain). admin@acme.example is the break-glass account and signs in with its password.
    **{
        user: {"mail": [f"{user}@acme.example"], "givenName": [given], "sn": [family], "title": [title]}
        for user, given, family, title in (
            ("manager", "Morgan", "Manager", "Team manager"),
            ("learner", "Lee", "Learner", "Associate"),
            ("instructor", "Indra", "Instructor", ""),
            ("author", "Avery", "Author", ""),
            ("auditor", "Ari", "Auditor", ""),
        )
    },
}
PASSWORD = "demo"  # noqa: S105 - the demo IdP's documented password


def base_url(port: int | None = None) -> str:
    return os.environ.get("DEMO_SAML_IDP_URL") or f"http://localhost:{port or DEFAULT_PORT}"


def key_files(directory: Path) -> tuple[str, str]:
    """The demo IdP's key and certificate in *directory*, made the first time (0600)."""
    from app.identity.saml.keys import make_key_pair

    directory.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = directory / "demo-idp.key", directory / "demo-idp.crt"
    if not key_path.exists() or not cert_path.exists():
        key_pem, cert_pem = make_key_pair("Acme SSO demo IdP")
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key_pem)
        cert_path.write_text(cert_pem)
    return str(key_path), str(cert_path)


def config(directory: Path, url: str, sp_metadata: list[str] | None = None) -> Any:
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.saml import NAMEID_FORMAT_PERSISTENT

    key_file, cert_file = key_files(directory)
    conf: dict[str, Any] = {
        "entityid": f"{url}/metadata",
        "xmlsec_binary": shutil.which("xmlsec1"),
        "key_file": key_file,
        "cert_file": cert_file,
        "accepted_time_diff": 60,
        "service": {
            "idp": {
                "name": "Acme SSO (demo)",
                "endpoints": {
                    "single_sign_on_service": [(f"{url}/sso", BINDING_HTTP_REDIRECT)],
                    "single_logout_service": [(f"{url}/slo", BINDING_HTTP_REDIRECT)],
                },
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 5},
                        "attribute_restrictions": None,
                        "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                    }
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            }
        },
    }
    if sp_metadata:
        conf["metadata"] = {"inline": sp_metadata}
    idp_config = IdPConfig()
    idp_config.load(conf)
    return idp_config


def metadata(directory: Path, url: str) -> str:
    """The demo IdP's metadata, as an admin would paste it."""
    from saml2.metadata import create_metadata_string

    document = create_metadata_string(None, config=config(directory, url), sign=False)
    return document.decode() if isinstance(document, bytes) else document


def server(directory: Path, url: str, sp_metadata: list[str]) -> Any:
    from cryptography.utils import CryptographyDeprecationWarning

    with warnings.catch_warnings():
        # pysaml2's IdP module touches cryptography's deprecated CFB mode at import; nothing here uses it.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        from saml2.server import Server
    return Server(config=config(directory, url, sp_metadata))
