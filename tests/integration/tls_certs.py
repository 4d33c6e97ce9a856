"""Test certificates, made at test time with the `openssl` command line tool (never committed).

make_pki(directory) writes, with P-256 keys:
  ca.crt / ca.key                -- the test CA
  server.crt / server.key        -- CN=localhost, subjectAltName DNS:localhost, IP:127.0.0.1
                                    signed by the CA
  server2.crt / server2.key      -- a second server certificate (another serial, CN=localhost-2),
                                    to replace the first one during a reload
  client.crt / client.key        -- CN=client-cn, subjectAltName email:client@example.com and
                                    DNS:client.example.com, signed by the CA
  expired.crt / expired.key      -- CN=expired-client, signed by the CA, validity ended yesterday
  other-ca.crt / other-ca.key    -- an unrelated CA
  rogue.crt / rogue.key          -- CN=rogue-client, signed by the unrelated CA
Returns a dict name -> absolute path (e.g. pki["client.crt"]).
"""

import os
import subprocess


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def _key_and_csr(cwd, stem, subject):
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{stem}.key", "-out", f"{stem}.csr", "-subj", subject, cwd=cwd)


def _ca(cwd, stem, subject):
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{stem}.key", "-out", f"{stem}.crt", "-subj", subject, "-days", "2",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=cwd)


def _signed(cwd, stem, subject, ca, days="2", san=None, extended_usage="serverAuth"):
    _key_and_csr(cwd, stem, subject)
    ext = [f"extendedKeyUsage={extended_usage}", "basicConstraints=CA:FALSE"]
    if san:
        ext.append(f"subjectAltName={san}")
    with open(os.path.join(cwd, f"{stem}.ext"), "w", encoding="ascii") as f:
        f.write("\n".join(ext) + "\n")
    # -days -1 puts the end of validity a day in the past: an expired certificate.
    _openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", days, "-extfile", f"{stem}.ext", "-out", f"{stem}.crt",
             cwd=cwd)


def make_pki(directory):
    _ca(directory, "ca", "/CN=Tern Test CA")
    _ca(directory, "other-ca", "/CN=Unrelated Test CA")
    _signed(directory, "server", "/CN=localhost", "ca", san="DNS:localhost,IP:127.0.0.1")
    _signed(directory, "server2", "/CN=localhost-2", "ca", san="DNS:localhost,IP:127.0.0.1")
    _signed(directory, "client", "/CN=client-cn", "ca",
            san="email:client@example.com,DNS:client.example.com", extended_usage="clientAuth")
    _signed(directory, "expired", "/CN=expired-client", "ca", days="-1",
            extended_usage="clientAuth")
    _signed(directory, "rogue", "/CN=rogue-client", "other-ca", extended_usage="clientAuth")
    return {name: os.path.join(directory, name) for name in os.listdir(directory)}
