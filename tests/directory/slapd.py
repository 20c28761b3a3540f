"""A real OpenLDAP server (Debian's slapd) of the tests' own: its own config, database and port, seeded from
an LDIF; no system service involved."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serverproc import free_port

SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "slapd root secret"
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{root_dn}"
rootpw "{root_password}"
directory {dir}/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
"""

SEED = f"""\
dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people
"""


@dataclass
class Slapd:
    url: str
    base: str = f"ou=people,{SUFFIX}"


def start_slapd(tmp: Path) -> tuple[Slapd, subprocess.Popen[bytes]]:
    (tmp / "db").mkdir(parents=True)
    config = tmp / "slapd.conf"
    config.write_text(CONFIG.format(dir=tmp, suffix=SUFFIX, root_dn=ROOT_DN, root_password=ROOT_PASSWORD))
    (tmp / "seed.ldif").write_text(SEED)
    subprocess.run([SLAPADD, "-f", str(config), "-l", str(tmp / "seed.ldif")], check=True, capture_output=True)
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    proc = subprocess.Popen([SLAPD, "-f", str(config), "-h", url + "/", "-d", "0"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return Slapd(url), proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"slapd exited: {proc.stderr.read().decode() if proc.stderr else ''}") from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("slapd did not start")


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    server, proc = start_slapd(tmp_path_factory.mktemp("slapd"))
    yield server
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
