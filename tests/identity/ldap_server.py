"""A real OpenLDAP ``slapd`` for the tests: a throwaway slapd.conf, an mdb database in a temporary
folder, the memberof overlay, TLS with a CA and a server certificate made here (so StartTLS and
LDAPS are both exercised), and people and groups added with ``ldapadd`` while it runs."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nothing listens on now, so two test runs side by side never clash."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


PLAIN_PORT = free_port()  # ldap:// (StartTLS, or plain when the operator allows it)
TLS_PORT = free_port()  # ldaps://
SUFFIX = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "admin-secret"
READER_DN = f"cn=reader,{SUFFIX}"
READER_PASSWORD = "reader-secret"
PASSWORDS = {"ada": "ada-password", "bob": "bob-password", "dee": "dee-password", "twin1": "twin-password"}


def slapd_binary() -> str | None:
    return shutil.which("slapd") or next(
        (p for p in ("/usr/sbin/slapd", "/usr/local/libexec/slapd") if os.access(p, os.X_OK)), None
    )


def require_slapd() -> str:  # pytest only
    """slapd's path; skip when it is missing, except on CI, where a missing slapd is a failure."""
    binary = slapd_binary()
    if binary is None or shutil.which("ldapadd") is None:
        message = (
            "OpenLDAP slapd and ldap-utils are not installed (scripts/ensure-system-packages installs them)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _server_certificate(ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
TLSCACertificateFile {dir}/ca.pem
TLSCertificateFile {dir}/server.pem
TLSCertificateKeyFile {dir}/server.key

database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin}"
rootpw {admin_password}
directory {dir}/db
overlay memberof
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by dn.exact="{reader}" read
  by self read
  by * none
"""

DATA = """\
dn: {suffix}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,{suffix}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{suffix}
objectClass: organizationalUnit
ou: groups

dn: {reader}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: {reader_password}

dn: uid=ada,ou=people,{suffix}
objectClass: inetOrgPerson
uid: ada
cn: Ada Lovelace
givenName: Ada
sn: Lovelace
mail: ada@example.org
employeeNumber: E100
title: Analyst
userPassword: {ada}

dn: uid=bob,ou=people,{suffix}
objectClass: inetOrgPerson
uid: bob
cn: Bob Builder
sn: Builder
mail: bob@example.org
userPassword: {bob}

dn: uid=dee,ou=people,{suffix}
objectClass: inetOrgPerson
uid: dee
cn: Dee Parted
sn: Parted
mail: dee@example.org
userPassword: {dee}

dn: uid=twin1,ou=people,{suffix}
objectClass: inetOrgPerson
uid: twin1
cn: Twin One
sn: One
mail: twin@example.org
userPassword: {twin1}

dn: uid=twin2,ou=people,{suffix}
objectClass: inetOrgPerson
uid: twin2
cn: Twin Two
sn: Two
mail: twin@example.org
userPassword: {twin1}

dn: cn=Managers,ou=groups,{suffix}
objectClass: groupOfNames
cn: Managers
member: uid=ada,ou=people,{suffix}
"""


@dataclass
class Directory:
    ca_pem: str
    plain_url: str
    tls_url: str


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"slapd did not listen on {port}: {log.read_text()[-2000:]}")


def start_slapd(
    binary: str, folder: Path, plain_port: int = PLAIN_PORT, tls_port: int = TLS_PORT
) -> tuple[subprocess.Popen[bytes], Directory]:
    """Start slapd in *folder* (config, database, certificates) and fill it; returns (process, where)."""
    ca_key, ca = make_ca("Atrium test directory CA")
    server_pem, server_key = _server_certificate(ca_key, ca)
    (folder / "ca.pem").write_text(pem(ca))
    (folder / "server.pem").write_bytes(server_pem)
    (folder / "server.key").write_bytes(server_key)
    (folder / "db").mkdir()
    values = {
        "dir": folder,
        "suffix": SUFFIX,
        "admin": ADMIN_DN,
        "admin_password": ADMIN_PASSWORD,
        "reader": READER_DN,
        "reader_password": READER_PASSWORD,
        **PASSWORDS,
    }
    (folder / "slapd.conf").write_text(CONFIG.format(**values))
    (folder / "data.ldif").write_text(DATA.format(**values))
    log = folder / "slapd.log"
    urls = f"ldap://{HOST}:{plain_port}/ ldaps://{HOST}:{tls_port}/"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "-f", str(folder / "slapd.conf"), "-h", urls, "-d", "0"], stdout=out, stderr=out
        )
    try:
        _wait_for_port(plain_port, process, log)
        _wait_for_port(tls_port, process, log)
        env = {**os.environ, "LDAPNOINIT": "1"}
        subprocess.run(
            [
                "ldapadd",
                "-x",
                "-H",
                f"ldap://{HOST}:{plain_port}",
                "-D",
                ADMIN_DN,
                "-w",
                ADMIN_PASSWORD,
                "-f",
                str(folder / "data.ldif"),
            ],
            check=True,
            capture_output=True,
            env=env,
            timeout=30,
        )
    except BaseException:
        process.terminate()
        process.wait(10)
        raise
    return process, Directory(pem(ca), f"ldap://{HOST}:{plain_port}", f"ldaps://{HOST}:{tls_port}")
