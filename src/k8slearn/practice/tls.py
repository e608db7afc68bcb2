"""A throw-away TLS identity for the practice server: a P-256 key and a self-signed certificate.

kubectl sends its bearer token only over TLS (client-go drops credentials for a
plain-http server), and the practice server must require a token. So each run
makes a new key and a certificate for 127.0.0.1, valid for a day, which the
kubeconfig names as its certificate authority; the key never touches the disk
for longer than `ssl` needs to load it. The standard library can serve TLS but
cannot make a certificate: the `cryptography` package does that.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

NAME = "k8slearn-practice"


@dataclass(frozen=True)
class Identity:
    """A certificate (PEM, also the kubeconfig's authority) and its private key (PEM)."""

    certificate_pem: str
    key_pem: str

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context using this identity (TLS 1.2 and newer)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        folder = tempfile.mkdtemp(prefix="k8slearn-tls-")
        cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        try:
            for path, text in ((cert, self.certificate_pem), (key, self.key_pem)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(text)
            context.load_cert_chain(cert, key)
        finally:
            for path in (cert, key):
                if os.path.exists(path):
                    os.remove(path)
            os.rmdir(folder)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this certificate (for tests and tools)."""
        return ssl.create_default_context(cadata=self.certificate_pem)


def make_identity(host: str = "127.0.0.1", days: int = 1) -> Identity:
    """A fresh key and a self-signed certificate for `host` (an IP address), valid `days`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.now(UTC).replace(microsecond=0)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return Identity(
        certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode("ascii"),
    )
