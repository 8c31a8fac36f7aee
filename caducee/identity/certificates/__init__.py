"""Client certificates at login (issue #17; docs/IDENTITY.md, « CPS cards and partner
certificates »). nginx verifies the certificate; the platform reads it only from the
trusted proxy's headers (`caducee.core.client_address.client_certificate`).

- `authority`: the platform's own CA and the partner certificates it issues (PKCS#12);
- `cps`: the national identifier an IGC-Santé CPS certificate carries in its subject;
- `operations`: issue, download once, revoke; the CPS login and the certificate as a
  partner's second factor, audited with the certificate's serial;
- `views`, `api`: the web pages and REST routes.
"""
