"""Start a small OpenLDAP directory to try "Sign in with an LDAP directory" (README, Single sign-on).

    .venv/bin/python scripts/demo_ldap.py [--ldap-port 10389] [--ldaps-port 10636]

It is the directory the tests use (tests/identity/ldap_server.py): people ada@, bob@, dee@example.org,
a Managers group, a read-only service account, TLS with a CA made on the spot. It prints what to type
on the "Add LDAP directory" page and runs until Ctrl-C; nothing is kept afterwards.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.identity import ldap_server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ldap-port", type=int, default=10389)
    parser.add_argument("--ldaps-port", type=int, default=10636)
    args = parser.parse_args()
    # Stopped by `kill` as by Ctrl-C: the directory stops with it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    binary = ldap_server.slapd_binary()
    if binary is None:
        print("slapd is not installed: sudo apt-get install slapd ldap-utils", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="atrium-ldap-") as folder:
        process, where = ldap_server.start_slapd(binary, Path(folder), args.ldap_port, args.ldaps_port)
        try:
            print(f"""A directory is answering at {where.tls_url} (and {where.plain_url} with StartTLS).

On the "Add LDAP directory" page (Sign-in, as a portal admin) type:
  Email domains it serves   example.org
  Server address            {where.tls_url}
  CA certificate            the certificate below
  Service account DN        {ldap_server.READER_DN}
  Service account password  {ldap_server.READER_PASSWORD}
  User search base          ou=people,{ldap_server.SUFFIX}
Then sign in as ada@example.org / {ldap_server.PASSWORDS["ada"]} (in the Managers group)
or bob@example.org / {ldap_server.PASSWORDS["bob"]}.
Atrium must be allowed to reach 127.0.0.1: `make run` does that (OUTBOUND_ALLOWED_HOSTS=127.0.0.1).

{where.ca_pem}
Ctrl-C stops the directory.""")
            process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            process.terminate()
            process.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
