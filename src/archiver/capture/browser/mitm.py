"""The run's own TLS key, and a certificate made with it for each host the browser visits.

The recording proxy terminates the browser's TLS itself (archiver's client makes the real
connection, checks the real certificate and records the real chain).  The browser is told to
accept certificate errors only for certificates whose public key is this run's key
(``--ignore-certificate-errors-spki-list``), so it trusts nothing else it would not trust
anyway.  The key is made fresh for each run, lives in a private temporary folder, and is
deleted when the run ends.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import shutil
import ssl
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["RunKey"]


class RunKey:
    """An EC P-256 key for one run, and TLS server contexts for hosts, made on first use.

    ``tag`` names the collection (see :func:`~archiver.capture.browser.chromium.capture_tag`):
    the folder of a run killed before it could delete its key is deleted by the next run of
    the same collection.
    """

    def __init__(self, tag: str = "") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        spki = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        #: what ``--ignore-certificate-errors-spki-list`` takes: base64 of SHA-256 of the SPKI
        self.spki = base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")
        prefix = f"archiver-tls-{_tag_id(tag)}-"
        for stale in Path(tempfile.gettempdir()).glob(prefix + "*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed run of this collection
        self._dir = Path(tempfile.mkdtemp(prefix=prefix))
        os.chmod(self._dir, 0o700)
        self._key_file = self._dir / "key.pem"
        fd = os.open(self._key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(
                self._key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def context(self, host: str) -> ssl.SSLContext:
        """A server-side TLS context presenting a certificate for ``host`` (HTTP/1.1 only)."""
        with self._lock:
            ctx = self._contexts.get(host)
            if ctx is None:
                cert_file = self._dir / f"{len(self._contexts)}.pem"
                cert_file.write_bytes(self._certificate(host))
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(cert_file, self._key_file)
                ctx.set_alpn_protocols(["http/1.1"])
                self._contexts[host] = ctx
            return ctx

    def _certificate(self, host: str) -> bytes:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64] or "archiver")])
        try:
            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            alt = x509.DNSName(host)
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM)

    def close(self) -> None:
        """Delete the key and the certificates."""
        shutil.rmtree(self._dir, ignore_errors=True)


def _tag_id(tag: str) -> str:
    return hashlib.sha256(tag.encode("utf-8")).hexdigest()[:12]
