"""Each award is an Open Badges 3.0 credential that an independent verifier accepts, until it is revoked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from app.certificates import badges
from tests.certificates.helpers import award, award_payload, certificate_of, emit

ROOT = Path(__file__).resolve().parent.parent.parent
VERIFIER = Path(__file__).resolve().parent / "verify_badge.mjs"
# The npm packages of the verifier (package.json devDependencies); ATRIUM_NODE_MODULES points elsewhere.
NODE_MODULES = Path(os.environ.get("ATRIUM_NODE_MODULES") or ROOT / "node_modules")


def _independent_check(tmp_path: Path, credential, issuer, status_list) -> dict:
    assert shutil.which("node"), "Node.js is needed for the independent badge verifier"
    assert (NODE_MODULES / "@digitalbazaar" / "vc").is_dir(), (
        f"the verifier's npm packages are missing from {NODE_MODULES}: run npm install"
    )
    # The script resolves its imports from the node_modules beside it.
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "node_modules").symlink_to(NODE_MODULES)
    script = tmp_path / "verify_badge.mjs"
    shutil.copy(VERIFIER, script)
    data = tmp_path / "input.json"
    data.write_text(
        json.dumps(
            {
                "credential": credential,
                "issuer": issuer,
                "statusList": status_list,
                "contexts": {
                    "folder": str(Path(badges.__file__).parent / "contexts"),
                    "files": badges._CONTEXT_FILES,
                },
            }
        )
    )
    run = subprocess.run(
        ["node", str(script), str(data)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def _published(client):
    issuer = client.get("/certificates/issuer")
    status = client.get("/certificates/status/revocation")
    assert issuer.status_code == 200 and status.status_code == 200
    return json.loads(issuer.data), json.loads(status.data)


def test_the_badge_verifies_with_an_independent_verifier_and_fails_once_revoked(
    db, tenant_factory, user_factory, client_for, tmp_path
):
    tenant = tenant_factory(display_name="Bistro Group")
    learner = user_factory(tenant, full_name="Lee Learner")
    payload = award_payload(learner, title="Food Handler")
    emit(db, tenant, "certification.awarded", payload)
    certificate = certificate_of(db, tenant, payload["record_id"])
    badge = certificate.badge
    assert badge["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert badge["issuer"]["name"] == "Bistro Group"
    assert badge["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert badge["validUntil"] and badge["validFrom"]
    client = client_for(tenant)
    issuer, status_list = _published(client)
    result = _independent_check(tmp_path / "valid", badge, issuer, status_list)
    assert result == {"verified": True, "revoked": False, "error": None}

    tampered = json.loads(json.dumps(badge))
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = "Someone Else"
    assert _independent_check(tmp_path / "tampered", tampered, issuer, status_list)["verified"] is False

    emit(db, tenant, "certification.revoked", {**payload, "reason": "Exam taken by someone else"})
    issuer, status_list = _published(client)
    result = _independent_check(tmp_path / "revoked", badge, issuer, status_list)
    assert result["verified"] is False and result["revoked"] is True


def test_badges_signed_before_a_key_rotation_still_verify(
    app, db, tenant_factory, user_factory, client_for, tmp_path
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    before = award(db, tenant, learner)
    assert app.test_cli_runner().invoke(args=["certificates", "rotate-key", tenant.slug]).exit_code == 0
    after = award(db, tenant, learner)
    assert before.badge["proof"]["verificationMethod"] != after.badge["proof"]["verificationMethod"]
    issuer, status_list = _published(client_for(tenant))
    assert len(issuer["verificationMethod"]) == 2
    for name, certificate in (("before", before), ("after", after)):
        result = _independent_check(tmp_path / name, certificate.badge, issuer, status_list)
        assert result["verified"] is True, result


def test_the_status_list_flips_the_bit_of_a_revoked_certificate(db, tenant_factory, user_factory, client_for):
    import base64
    import gzip

    tenant = tenant_factory()
    learner = user_factory(tenant)
    payloads = [award_payload(learner) for _ in range(3)]
    for payload in payloads:
        emit(db, tenant, "certification.awarded", payload)
    revoked = certificate_of(db, tenant, payloads[1]["record_id"])
    emit(db, tenant, "certification.revoked", {**payloads[1], "reason": "Fraud"})
    _, status_list = _published(client_for(tenant))
    encoded = status_list["credentialSubject"]["encodedList"]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) * 8 >= badges.STATUS_LIST_BITS
    set_bits = [i for i in range(len(bits) * 8) if bits[i // 8] & (0x80 >> (i % 8))]
    assert set_bits == [revoked.status_index]


def test_a_portal_without_badges_publishes_no_status_list(db, tenant_factory, client_for):
    assert client_for(tenant_factory()).get("/certificates/status/revocation").status_code == 404


def _pyld_canonical(document: dict) -> bytes:
    """pyld's own RDFC-1.0 of *document*, expanding it in full."""
    from pyld import jsonld

    options = {"algorithm": "URDNA2015", "format": "application/n-quads"}
    return str(jsonld.normalize(document, {**options, "documentLoader": badges.document_loader})).encode()


def test_a_badge_is_canonicalized_exactly_as_pyld_does_whatever_its_values_say(
    db, tenant_factory, user_factory
):
    """Badges are expanded from a kept template filled with their values; the result must be pyld's own."""
    tenant = tenant_factory(display_name="Bistro Group", enabled_locales=["en", "ar"])
    badge = award(db, tenant, user_factory(tenant, full_name="ليلى حداد"), title="شهادة سلامة الغذاء").badge
    unsigned = {key: value for key, value in badge.items() if key != "proof"}
    options = {key: value for key, value in badge["proof"].items() if key != "proofValue"}
    proof_config = {"@context": badge["@context"], **options}
    variants = [unsigned, proof_config]
    for name, title in (
        ("Lee Learner", "Food Handler"),
        ('Quote "me" \\ back\nslash', "name"),
        ("https://evil.example/x", "urn:x:y"),
        ("https://slot.invalid/0", "@id"),
        ("", " "),
    ):
        variant = json.loads(json.dumps(unsigned))
        variant["name"] = variant["credentialSubject"]["achievement"]["name"] = title
        variant["credentialSubject"]["identifier"][0]["identityHash"] = name
        variants.append(variant)
    shorter = json.loads(json.dumps(unsigned))
    del shorter["validUntil"]
    shorter["issuer"].pop("image", None)
    shorter["credentialStatus"]["statusListIndex"] = "0"
    variants.append(shorter)
    moved = json.loads(json.dumps(proof_config))
    moved["verificationMethod"] = "https://other.atrium.test/certificates/issuer#k2"
    moved["proofPurpose"] = "authentication"
    variants.append(moved)
    for variant in variants * 2:  # the second time from the kept templates
        assert badges.canonical(variant) == _pyld_canonical(variant), json.dumps(variant)[:300]
