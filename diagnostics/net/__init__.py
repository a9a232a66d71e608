"""Network helpers for the `network` and `connectivity` collectors.

Parsers (`routes`, `dnsconf`, `proxy`, `interfaces`) only read text and send no traffic. `checks` holds the
connectivity checks, which do send traffic and run only when the user asks for them.
"""
