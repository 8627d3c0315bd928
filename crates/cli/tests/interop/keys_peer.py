"""Key interop peer for Tessera's tests, on Python `cryptography`.

  spki PATH [PASSWORD]   read a PEM or DER key (private, public, encrypted) and print the
                         hex SubjectPublicKeyInfo DER of its public key
  write KIND DIR PASSWORD write KIND (rsa, p256, p384, p521, secp256k1, ed25519, x25519) to DIR
                         as pkcs8.pem, traditional.pem (where one exists), encrypted.pem, pub.pem
"""
import sys

from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519


def load(path, password):
    data = open(path, "rb").read()
    pw = password.encode() if password else None
    pem = data.lstrip().startswith(b"-----")
    try:
        if pem:
            return s.load_pem_private_key(data, pw).public_key()
        return s.load_der_private_key(data, pw).public_key()
    except ValueError:
        if pem:
            return s.load_pem_public_key(data)
        return s.load_der_public_key(data)


def spki(key):
    return key.public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo).hex()


def generate(kind):
    curves = {"p256": ec.SECP256R1, "p384": ec.SECP384R1, "p521": ec.SECP521R1,
              "secp256k1": ec.SECP256K1}
    if kind == "rsa":
        return rsa.generate_private_key(65537, 2048)
    if kind in curves:
        return ec.generate_private_key(curves[kind]())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "x25519":
        return x25519.X25519PrivateKey.generate()
    raise SystemExit(f"unknown kind {kind}")


def main():
    cmd = sys.argv[1]
    if cmd == "spki":
        print(spki(load(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)))
    elif cmd == "write":
        kind, out, password = sys.argv[2], sys.argv[3], sys.argv[4]
        key = generate(kind)
        pkcs8 = key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption())
        open(f"{out}/pkcs8.pem", "wb").write(pkcs8)
        if kind not in ("ed25519", "x25519"):
            trad = key.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL,
                                     s.NoEncryption())
            open(f"{out}/traditional.pem", "wb").write(trad)
        enc = key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8,
                                s.BestAvailableEncryption(password.encode()))
        open(f"{out}/encrypted.pem", "wb").write(enc)
        pub = key.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo)
        open(f"{out}/pub.pem", "wb").write(pub)
        print(spki(key.public_key()))
    else:
        raise SystemExit(f"unknown command {cmd}")


main()
