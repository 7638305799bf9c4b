"""TLS for the test server: a private CA made in the test session, server and client certificates
it signs, and the server's TLS options (ALPN offered, client certificate required).

    pki = make_pki(tmp_dir)                      # ca.pem, server.pem/.key, client.pem/.key
    VespaServer(tls=TlsOptions.for_pki(pki))      # https://127.0.0.1:<port>, h2 or http/1.1 by ALPN
    VespaServer(tls=TlsOptions.for_pki(pki, alpn=("http/1.1",), client_ca=True))

Clients trust the CA through ``SSL_CERT_FILE=<pki.ca>`` (OpenSSL's default verify paths), never
through the system store. Needs the ``cryptography`` package (a dependency of pyvespa).
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Pki:
    """PEM files of one private CA and the certificates it signed."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


@dataclass(frozen=True)
class TlsOptions:
    """How the server speaks TLS: its certificate, the ALPN protocols it offers (in its order of
    preference) and, with ``client_ca``, the CA a client certificate must be signed by (mTLS)."""

    cert: Path
    key: Path
    alpn: tuple[str, ...] = ("h2", "http/1.1")
    client_ca: Path | None = None

    @classmethod
    def for_pki(cls, pki: Pki, *, alpn: tuple[str, ...] = ("h2", "http/1.1"),
                client_ca: bool = False) -> TlsOptions:
        return cls(pki.server_cert, pki.server_key, alpn, pki.ca if client_ca else None)

    def context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        context.set_alpn_protocols(list(self.alpn))
        if self.client_ca is not None:
            context.load_verify_locations(self.client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> tuple[Path, Path]:
    key_path = path.with_suffix(".key")
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, key_path


def _issue(subject: str, issuer: x509.Name, issuer_key: ec.EllipticCurvePrivateKey,
           key: ec.EllipticCurvePrivateKey, *, ca: bool = False, server: bool = False
           ) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject)).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    if server:
        names: list[x509.GeneralName] = [x509.DNSName("localhost")]
        names += [x509.IPAddress(ipaddress.ip_address(h)) for h in HOSTS[1:]]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(directory: Path, name: str = "procore-ingest test CA") -> Pki:
    """A new CA in ``directory`` and, signed by it, a server certificate for localhost,
    127.0.0.1 and ::1 and a client certificate (the data-plane key pair of Vespa Cloud's mTLS)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _issue(name, _name(name), ca_key, ca_key, ca=True)
    ca, _ = _write(directory / "ca.pem", ca_key, ca_cert)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert, server_key_path = _write(
        directory / "server.pem", server_key,
        _issue("localhost", ca_cert.subject, ca_key, server_key, server=True))
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert, client_key_path = _write(
        directory / "client.pem", client_key,
        _issue("procore-ingest client", ca_cert.subject, ca_key, client_key))
    return Pki(ca, server_cert, server_key_path, client_cert, client_key_path)
