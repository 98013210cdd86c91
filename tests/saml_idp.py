"""
A SAML 2.0 identity provider for the tests, made with pysaml2 (which signs
with xmlsec1): it reads the site's AuthnRequest (HTTP-Redirect binding) and
answers with a signed assertion for whoever the test says is at the browser.
"""

import base64
import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import AUTHN_PASSWORD, NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

ENTITY_ID = "https://idp.ltu.example.se/idp"
SSO_URL = "https://idp.ltu.example.se/sso"


def self_signed(folder: Path, name: str) -> tuple[Path, Path, str]:
    """A key and a certificate in PEM files; also the certificate's base64 body, as SP settings take it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path.write_bytes(pem)
    body = "".join(pem.decode().strip().splitlines()[1:-1])
    return key_path, cert_path, body


class IdentityProvider:
    def __init__(self, folder: Path, sp_metadata: str):
        self.key_file, self.cert_file, self.certificate = self_signed(folder, "idp")
        config = IdPConfig()
        config.load(
            {
                "entityid": ENTITY_ID,
                "service": {
                    "idp": {
                        "endpoints": {"single_sign_on_service": [(SSO_URL, BINDING_HTTP_REDIRECT)]},
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 5},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_URI,
                            }
                        },
                    }
                },
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "metadata": {"inline": [sp_metadata]},
                "xmlsec_binary": "/usr/bin/xmlsec1",
            }
        )
        self.server = Server(config=config)

    def answer(self, saml_request: str, *, identity: dict, user_id: str) -> tuple[str, str]:
        """The signed response to an AuthnRequest: the XML, and where the browser posts it."""
        request = self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
        arguments = self.server.response_args(request, [BINDING_HTTP_POST])
        response = self.server.create_authn_response(
            identity,
            userid=user_id,
            authn={"class_ref": AUTHN_PASSWORD, "authn_auth": ENTITY_ID},
            sign_assertion=True,
            sign_response=False,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            **arguments,
        )
        return str(response), arguments["destination"]


def encoded(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()
