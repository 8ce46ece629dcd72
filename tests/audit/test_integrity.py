"""The audit log holds against whoever can write the database: HMAC links under a key the database
never holds, and signed checkpoints of each chain head kept outside it."""

from __future__ import annotations

import base64
import hmac as std_hmac
import json
import secrets
from hashlib import sha256
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, select, text

from app.audit.checkpoints import checkpoint_every_tenant, checkpoint_path
from app.audit.keys import AuditKeyError, parse_hmac_keys, signing_key
from app.audit.models import AuditChainHead, AuditEvent
from app.audit.services import compute_hash, record
from app.tenancy import as_tenant
from app.tenancy.models import utcnow


@pytest.fixture(autouse=True)
def checkpoint_dir(app, tmp_path, monkeypatch) -> Path:
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    return tmp_path / "checkpoints"


@pytest.fixture
def owner_engine(app):
    """The schema owner (a superuser's view): may rewrite audit rows, but holds no audit key."""
    engine = create_engine(app.config["MIGRATION_DATABASE_URL"])
    yield engine
    engine.dispose()


def _as_owner(owner_engine, sql: str, rows: list[dict] | dict, tenant_id: int | None = None) -> None:
    with owner_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The owner is bound by FORCE ROW LEVEL SECURITY too: it rewrites inside the tenant.
            tenant_id = tenant_id if tenant_id is not None else rows["t"]  # type: ignore[call-overload]
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
        conn.execute(text(sql), rows)


def _tenant_with_events(db, tenant_factory, n: int = 4):
    tenant = tenant_factory()
    with as_tenant(tenant):
        for i in range(n):
            record("test.step", after={"step": i})
        db.session.commit()
    return tenant  # seq 1 is tenant.created, then n steps


def _verify(app, tenant):
    return app.test_cli_runner().invoke(args=["audit", "verify", "--tenant", tenant.slug])


def _checkpoint(app, tenant):
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint", "--tenant", tenant.slug])
    assert result.exit_code == 0, result.output
    return result


def _append_forged_row_as_the_app(db, tenant, mac: str | None, mac_kid: str | None) -> int:
    """Do what anyone holding the application's database role can do: INSERT a row, move the head."""
    with as_tenant(tenant):
        head = db.session.scalars(select(AuditChainHead)).one()
        forged = AuditEvent(
            tenant_id=tenant.id,
            seq=head.seq + 1,
            occurred_at=utcnow(),
            actor_type="user",
            actor_id=1,
            actor_label="admin@example.com",
            action="user.roles_changed",
            target_type="User",
            target_id="2",
            target_label="mallory@example.com",
            before={"roles": ["learner"]},
            after={"roles": ["tenant_admin"]},
            prev_hash=head.hash,
        )
        forged_hash = compute_hash(forged)
        db.session.expunge_all()
        db.session.execute(
            text(
                "INSERT INTO audit_events (tenant_id, seq, occurred_at, actor_type, actor_id, actor_label,"
                " action, target_type, target_id, target_label, before, after, prev_hash, hash, mac, mac_kid)"
                " VALUES (:tenant_id, :seq, :occurred_at, :actor_type, :actor_id, :actor_label,"
                " :action, :target_type, :target_id, :target_label, :before, :after, :prev_hash, :hash,"
                " :mac, :mac_kid)"
            ),
            {
                "tenant_id": tenant.id,
                "seq": forged.seq,
                "occurred_at": forged.occurred_at,
                "actor_type": forged.actor_type,
                "actor_id": forged.actor_id,
                "actor_label": forged.actor_label,
                "action": forged.action,
                "target_type": forged.target_type,
                "target_id": forged.target_id,
                "target_label": forged.target_label,
                "before": json.dumps(forged.before),
                "after": json.dumps(forged.after),
                "prev_hash": forged.prev_hash,
                "hash": forged_hash,
                "mac": mac,
                "mac_kid": mac_kid,
            },
        )
        db.session.execute(
            text("UPDATE audit_chain_heads SET seq = :seq, hash = :hash WHERE tenant_id = :t"),
            {"seq": forged.seq, "hash": forged_hash, "t": tenant.id},
        )
        db.session.commit()
        return forged.seq


@pytest.mark.parametrize(
    ("mac", "mac_kid", "says"),
    [
        (None, None, "has no HMAC"),
        (secrets.token_hex(32), "derived", "fails its HMAC"),
        (secrets.token_hex(32), "stolen-kid", "unknown key id 'stolen-kid'"),
    ],
)
def test_entry_forged_with_the_apps_database_role_is_a_bad_hmac(app, db, tenant_factory, mac, mac_kid, says):
    tenant = _tenant_with_events(db, tenant_factory)
    assert _verify(app, tenant).exit_code == 0
    seq = _append_forged_row_as_the_app(db, tenant, mac, mac_kid)

    result = _verify(app, tenant)

    assert result.exit_code == 1
    assert f"{tenant.slug}: BROKEN at seq {seq}: bad HMAC" in result.output
    assert says in result.output
    assert "broken hash link" not in result.output  # the SHA-256 links themselves are consistent


def _rewrite_from(db, owner_engine, tenant, seq: int) -> None:
    """Change row *seq* and recompute every SHA-256 after it, as a superuser without the key would."""
    with as_tenant(tenant):
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        updates = []
        prev = None
        for event in rows:
            if event.seq == seq:
                event.actor_label = "someone else"
            if event.seq >= seq:
                event.prev_hash = prev or event.prev_hash
                event.hash = compute_hash(event)
                updates.append(
                    {"id": event.id, "label": event.actor_label, "p": event.prev_hash, "h": event.hash}
                )
            prev = event.hash
        db.session.rollback()
    _as_owner(
        owner_engine,
        "UPDATE audit_events SET actor_label = :label, prev_hash = :p, hash = :h WHERE id = :id",
        updates,
        tenant_id=tenant.id,
    )
    _as_owner(
        owner_engine,
        "UPDATE audit_chain_heads SET hash = :h WHERE tenant_id = :t",
        {"h": updates[-1]["h"], "t": tenant.id},
    )


def test_rewriting_every_hash_from_one_point_is_reported_as_bad_hmac_and_a_rewrite(
    app, db, tenant_factory, owner_engine
):
    tenant = _tenant_with_events(db, tenant_factory)
    _checkpoint(app, tenant)
    _rewrite_from(db, owner_engine, tenant, 3)

    result = _verify(app, tenant)

    assert result.exit_code == 1
    assert "BROKEN at seq 3: bad HMAC" in result.output
    assert "rewritten: row seq 5 differs from the checkpoint" in result.output
    assert "broken hash link" not in result.output


def test_removing_rows_after_a_checkpoint_is_reported_as_truncation(app, db, tenant_factory, owner_engine):
    tenant = _tenant_with_events(db, tenant_factory)
    _checkpoint(app, tenant)
    with as_tenant(tenant):
        seq3_hash = db.session.scalars(select(AuditEvent.hash).where(AuditEvent.seq == 3)).one()
    # Drop the newest rows and move the head back, so the database alone looks consistent.
    _as_owner(owner_engine, "DELETE FROM audit_events WHERE tenant_id = :t AND seq > 3", {"t": tenant.id})
    _as_owner(
        owner_engine,
        "UPDATE audit_chain_heads SET seq = 3, hash = :h WHERE tenant_id = :t",
        {"h": seq3_hash, "t": tenant.id},
    )

    result = _verify(app, tenant)

    assert result.exit_code == 1
    assert "truncated: the chain ends at seq 3, but the checkpoint of" in result.output
    assert "saw seq 5" in result.output


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def test_entries_under_an_old_key_id_still_verify_after_rotation(app, db, tenant_factory, monkeypatch):
    old, new = _key(), _key()
    monkeypatch.setitem(app.config, "AUDIT_HMAC_KEYS", f"2025:{old}")
    monkeypatch.setitem(app.config, "AUDIT_HMAC_ACTIVE_KID", "2025")
    tenant = _tenant_with_events(db, tenant_factory, n=2)
    monkeypatch.setitem(app.config, "AUDIT_HMAC_KEYS", f"2025:{old},2026:{new}")
    monkeypatch.setitem(app.config, "AUDIT_HMAC_ACTIVE_KID", "2026")
    with as_tenant(tenant):
        record("test.after_rotation")
        db.session.commit()
        kids = db.session.scalars(select(AuditEvent.mac_kid).order_by(AuditEvent.seq)).all()
    assert kids == ["2025", "2025", "2025", "2026"]

    assert _verify(app, tenant).exit_code == 0

    # Dropping the old key makes its entries unverifiable, and verify says which key is missing.
    monkeypatch.setitem(app.config, "AUDIT_HMAC_KEYS", f"2026:{new}")
    result = _verify(app, tenant)
    assert result.exit_code == 1
    assert "BROKEN at seq 1: bad HMAC" in result.output and "unknown key id '2025'" in result.output


def test_rows_written_before_hmac_verify_as_legacy_links(app, db, tenant_factory, owner_engine):
    tenant = _tenant_with_events(db, tenant_factory)
    # What the rows of an existing installation look like after the migration: no HMAC yet.
    _as_owner(
        owner_engine,
        "UPDATE audit_events SET mac = NULL, mac_kid = NULL WHERE tenant_id = :t AND seq <= 3",
        {"t": tenant.id},
    )

    result = _verify(app, tenant)

    assert result.exit_code == 0, result.output
    assert f"{tenant.slug}: ok (5 events)" in result.output
    assert (
        "seq 1-3 are legacy SHA-256 links written before links were authenticated, HMAC from seq 4"
        in result.output
    )


def test_a_row_without_hmac_after_hmac_started_is_reported(app, db, tenant_factory, owner_engine):
    tenant = _tenant_with_events(db, tenant_factory)
    _as_owner(
        owner_engine,
        "UPDATE audit_events SET mac = NULL, mac_kid = NULL WHERE tenant_id = :t AND seq = 4",
        {"t": tenant.id},
    )

    result = _verify(app, tenant)

    assert result.exit_code == 1
    assert "BROKEN at seq 4: bad HMAC" in result.output and "authenticated from seq 1" in result.output


def test_stripping_every_hmac_is_caught_by_the_checkpoint(app, db, tenant_factory, owner_engine):
    tenant = _tenant_with_events(db, tenant_factory)
    _checkpoint(app, tenant)
    _as_owner(
        owner_engine,
        "UPDATE audit_events SET mac = NULL, mac_kid = NULL WHERE tenant_id = :t",
        {"t": tenant.id},
    )

    result = _verify(app, tenant)

    assert result.exit_code == 1
    assert "BROKEN at seq 1: bad HMAC" in result.output
    assert "a signed checkpoint says links are authenticated from seq 1" in result.output


def test_checkpoint_line_carries_a_valid_ed25519_signature(app, db, tenant_factory, checkpoint_dir):
    tenant = _tenant_with_events(db, tenant_factory)
    result = _checkpoint(app, tenant)
    assert f"{tenant.slug}: checkpoint at seq 5" in result.output

    lines = (checkpoint_dir / f"{tenant.slug}.jsonl").read_text().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    with as_tenant(tenant):
        head = db.session.scalars(select(AuditEvent).where(AuditEvent.seq == 5)).one()
    assert (line["tenant"], line["tenant_id"], line["seq"], line["head"]) == (
        tenant.slug,
        tenant.id,
        5,
        head.hash,
    )
    signature = base64.b64decode(line.pop("signature"))
    signed = json.dumps(line, sort_keys=True, separators=(",", ":")).encode()
    with app.app_context():
        signing_key().public_key().verify(signature, signed)  # raises InvalidSignature if it does not hold

    # A second run with nothing new adds no line.
    assert "nothing new since the last checkpoint" in _checkpoint(app, tenant).output
    assert len(checkpoint_path_lines(app, tenant)) == 1
    assert "matches the signed checkpoint at seq 5" in _verify(app, tenant).output


def checkpoint_path_lines(app, tenant) -> list[str]:
    with app.app_context():
        return checkpoint_path(tenant.slug).read_text().splitlines()


def test_a_tampered_checkpoint_line_is_reported(app, db, tenant_factory, checkpoint_dir):
    tenant = _tenant_with_events(db, tenant_factory)
    _checkpoint(app, tenant)
    path = checkpoint_dir / f"{tenant.slug}.jsonl"
    line = json.loads(path.read_text())
    line["seq"] = 3  # claim an older head, e.g. to hide rows
    path.write_text(json.dumps(line) + "\n")

    result = _verify(app, tenant)

    assert result.exit_code == 1
    assert "bad checkpoint signature: line 1 (seq 3) does not match its signature" in result.output


def test_a_checkpoint_signed_by_another_key_is_reported(app, db, tenant_factory, monkeypatch):
    tenant = _tenant_with_events(db, tenant_factory)
    other = Ed25519PrivateKey.generate().private_bytes_raw()
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY", base64.b64encode(other).decode())
    _checkpoint(app, tenant)
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY", None)

    result = _verify(app, tenant)

    assert result.exit_code == 1
    assert "not a trusted signing key" in result.output


def test_checkpoints_of_a_retired_signing_key_verify_by_its_public_key(app, db, tenant_factory, monkeypatch):
    tenant = _tenant_with_events(db, tenant_factory)
    retired = base64.b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY", retired)
    _checkpoint(app, tenant)
    retired_public = app.test_cli_runner().invoke(args=["audit", "public-key"]).output.strip()
    monkeypatch.setitem(app.config, "AUDIT_SIGNING_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    assert "not a trusted signing key" in _verify(app, tenant).output

    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_PUBLIC_KEYS", retired_public)

    result = _verify(app, tenant)
    assert result.exit_code == 0, result.output
    assert "matches the signed checkpoint at seq 5" in result.output


def test_hourly_job_checkpoints_good_chains_and_refuses_a_forged_one(app, db, tenant_factory, checkpoint_dir):
    good = _tenant_with_events(db, tenant_factory)
    forged = _tenant_with_events(db, tenant_factory)
    _append_forged_row_as_the_app(db, forged, None, None)

    checkpoint_every_tenant()

    assert (checkpoint_dir / f"{good.slug}.jsonl").exists()
    assert not (checkpoint_dir / f"{forged.slug}.jsonl").exists()  # a checkpoint must not bless a forgery
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint", "--tenant", forged.slug])
    assert result.exit_code == 1
    assert "no checkpoint written, the chain does not verify" in result.output


def test_audit_page_shows_the_last_checkpoint(
    app, db, tenant_factory, user_factory, client_for, checkpoint_dir
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    client = client_for(tenant, admin)
    assert "No signed checkpoint of this log yet" in client.get("/admin/audit").get_data(as_text=True)

    _checkpoint(app, tenant)
    page = client.get("/admin/audit").get_data(as_text=True)
    with as_tenant(tenant):
        seq = db.session.scalars(select(AuditChainHead.seq)).one()
    assert f"Last checkpoint: seq {seq} at " in page and "signature valid." in page

    path = checkpoint_dir / f"{tenant.slug}.jsonl"
    path.write_text(path.read_text().replace(f'"seq": {seq}', f'"seq": {seq + 1}'))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "does not match its signature" in page

    path.write_text("not json\n")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "The last checkpoint of this log cannot be read." in page


def test_hmac_keys_that_cannot_be_read_are_refused():
    short = base64.b64encode(b"x" * 16).decode()
    with pytest.raises(AuditKeyError, match="use at least 32"):
        parse_hmac_keys(f"a:{short}")
    with pytest.raises(AuditKeyError, match="kid:base64key"):
        parse_hmac_keys(_key())
    assert parse_hmac_keys(f"a:{base64.b64encode(b'k' * 32).decode()}") == {"a": b"k" * 32}


def test_a_link_mac_is_hmac_sha256_of_the_hashed_content(app, db, tenant_factory, monkeypatch):
    key = secrets.token_bytes(32)
    monkeypatch.setitem(app.config, "AUDIT_HMAC_KEYS", f"k1:{base64.b64encode(key).decode()}")
    tenant = tenant_factory()
    with as_tenant(tenant):
        event = record("test.step")
        from app.audit.services import canonical_content

        assert event.mac == std_hmac.new(key, canonical_content(event), sha256).hexdigest()
        assert event.mac_kid == "k1"
        db.session.rollback()
