"""The local stack's identity provider: one OpenID Connect issuer per force, for development.

A force signs its staff in with its own identity provider; the services trust the issuer
configured for their force and nothing else (services/runtime/staff.py). This stands in for
those providers on the local stack, the tests and the demo, so the services verify tokens by
the same path everywhere: discovery, JWKS, an asymmetric signature, issuer, audience, expiry.
"""
