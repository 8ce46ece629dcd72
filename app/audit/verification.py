"""Verify a tenant's audit chain and say which guarantee failed.

Four guarantees, each checked on its own so a report names every one that failed:

- hash link: each row's SHA-256 covers its content and the previous row's hash, seqs have no gaps;
- HMAC: each row written since links were authenticated carries an HMAC under a key the database
  never holds (rows written before that are legacy SHA-256 links, accepted up to that point);
- checkpoints: the chain is no shorter than, and at the checkpointed seq equal to, every signed
  checkpoint kept outside the database;
- checkpoint signatures: every checkpoint line is signed by a trusted Ed25519 key.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.audit.keys import hmac_keyring
from app.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from app.audit.services import compute_hash, compute_mac
from app.extensions import db

HASH_LINK = "broken hash link"
BAD_HMAC = "bad HMAC"
TRUNCATED = "truncated"
REWRITTEN = "rewritten"
BAD_CHECKPOINT = "bad checkpoint signature"


@dataclass(frozen=True)
class Checkpoint:
    """One line of a tenant's checkpoint file as read (``checkpoints.read_checkpoints``), for checking."""

    line: int
    tenant_id: int | None
    seq: int
    head: str
    hmac_from: int | None
    at: datetime | None
    signature_valid: bool
    problem: str | None = None


@dataclass
class Problem:
    guarantee: str
    seq: int | None
    message: str


@dataclass
class ChainReport:
    tenant_id: int
    checked: int = 0
    legacy: int = 0
    hmac_from: int | None = None
    last_checkpoint: Checkpoint | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def broken_at(self) -> int | None:
        return self.problems[0].seq if self.problems else None

    @property
    def problem(self) -> str | None:
        return self.problems[0].message if self.problems else None

    def add(self, guarantee: str, seq: int | None, message: str) -> None:
        """Keep the first failure of each guarantee; later ones follow from it."""
        if all(p.guarantee != guarantee for p in self.problems):
            self.problems.append(Problem(guarantee, seq, message))

    def summary(self) -> str:
        return "; ".join(f"{p.guarantee}: {p.message}" for p in self.problems) or "ok"


def _authenticated_from(checkpoints: list[Checkpoint]) -> int | None:
    """Return the seq from which rows must carry an HMAC, as signed checkpoints tell it.

    A checkpoint names where HMAC links started; and any row after a checkpoint was written after
    this version was running, so it must be authenticated too.
    """
    bounds = [c.hmac_from for c in checkpoints if c.hmac_from is not None]
    bounds += [c.seq + 1 for c in checkpoints]
    return min(bounds) if bounds else None


def verify_chain(tenant_id: int, checkpoints: Sequence[Checkpoint] = ()) -> ChainReport:
    """Walk a tenant's chain from the start and report each guarantee that fails, with its first seq.

    The tenant's signed *checkpoints* (``checkpoints.read_checkpoints(slug)``) are checked too.
    """
    report = ChainReport(tenant_id=tenant_id)
    valid = []
    for checkpoint in checkpoints:
        if not checkpoint.signature_valid:
            report.add(BAD_CHECKPOINT, checkpoint.seq or None, checkpoint.problem or "")
        elif checkpoint.tenant_id != tenant_id:
            report.add(
                BAD_CHECKPOINT, checkpoint.seq, f"line {checkpoint.line} is a checkpoint of another tenant"
            )
        else:
            valid.append(checkpoint)
    report.last_checkpoint = valid[-1] if valid else None
    must_authenticate_from = _authenticated_from(valid)
    wanted = {c.seq for c in valid}
    hashes: dict[int, str] = {}
    keys = hmac_keyring().keys

    expected_prev = GENESIS_HASH
    expected_seq = 1
    rows = db.session.execute(
        select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.seq)
    ).scalars()
    for event in rows:
        if event.seq != expected_seq:
            report.add(
                HASH_LINK,
                expected_seq,
                f"row seq {expected_seq} is missing (next row found is seq {event.seq})",
            )
        elif event.prev_hash != expected_prev:
            report.add(HASH_LINK, event.seq, f"row seq {event.seq} does not link to the row before it")
        elif compute_hash(event) != event.hash:
            report.add(
                HASH_LINK, event.seq, f"row seq {event.seq} ({event.action}) was altered after it was written"
            )
        _check_mac(report, event, keys, must_authenticate_from)
        if event.seq in wanted:
            hashes[event.seq] = event.hash
        report.checked += 1
        expected_prev = event.hash
        expected_seq = event.seq + 1

    last_seq = expected_seq - 1
    head = db.session.scalars(
        select(AuditChainHead).where(AuditChainHead.tenant_id == tenant_id)
    ).one_or_none()
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        report.add(
            TRUNCATED,
            last_seq + 1,
            f"rows after seq {last_seq} were removed (the chain head is at seq {head.seq})",
        )
    for checkpoint in valid:
        when = checkpoint.at.isoformat() if checkpoint.at else "?"
        if checkpoint.seq > last_seq:
            report.add(
                TRUNCATED,
                last_seq + 1,
                f"the chain ends at seq {last_seq}, but the checkpoint of {when} saw seq {checkpoint.seq}",
            )
        elif hashes.get(checkpoint.seq) != checkpoint.head:
            report.add(
                REWRITTEN,
                checkpoint.seq,
                f"row seq {checkpoint.seq} differs from the checkpoint of {when}: "
                "the chain was rewritten at or before that seq",
            )
    return report


def _check_mac(
    report: ChainReport, event: AuditEvent, keys: dict[str, bytes], must_authenticate_from: int | None
) -> None:
    if event.mac is None and event.mac_kid is None:
        if report.hmac_from is not None:
            report.add(
                BAD_HMAC,
                event.seq,
                f"row seq {event.seq} ({event.action}) has no HMAC, but links are authenticated "
                f"from seq {report.hmac_from}: it was added without the key",
            )
        elif must_authenticate_from is not None and event.seq >= must_authenticate_from:
            report.add(
                BAD_HMAC,
                event.seq,
                f"row seq {event.seq} ({event.action}) has no HMAC, but a signed checkpoint says "
                f"links are authenticated from seq {must_authenticate_from}",
            )
        else:
            report.legacy += 1
        return
    key = keys.get(event.mac_kid or "")
    if key is None:
        report.add(
            BAD_HMAC,
            event.seq,
            f"row seq {event.seq} ({event.action}) names an unknown key id {event.mac_kid!r}",
        )
    elif not hmac.compare_digest(compute_mac(event, key), event.mac or ""):
        report.add(
            BAD_HMAC,
            event.seq,
            f"row seq {event.seq} ({event.action}) fails its HMAC (key {event.mac_kid}): "
            "it was forged or rewritten without the key",
        )
    if report.hmac_from is None:
        report.hmac_from = event.seq


# Features whose own rows must agree with the log register a check: tenant id -> the first problem, or None.
RecordCheck = Callable[[int], "str | None"]
_record_checks: list[RecordCheck] = []


def check_records_against_log(check: RecordCheck) -> RecordCheck:
    """Register *check*, run by ``flask audit verify`` once a tenant's chain verifies (or as a decorator)."""
    if check not in _record_checks:
        _record_checks.append(check)
    return check


def verify_records(tenant_id: int) -> str | None:
    """Run every registered check for *tenant_id*; the first problem found, or None."""
    for check in _record_checks:
        problem = check(tenant_id)
        if problem:
            return problem
    return None
