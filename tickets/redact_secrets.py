"""Secrets without a label: the bare forms of well-known tokens, and high-entropy strings near words such as secret,
key, token or password (the ideas of Yelp's detect-secrets, measured against it in bench/bench_redact_detectors.py).

Labelled secrets (``password=...``, ``Authorization: ...``) are in `redact_patterns.PATTERNS`; this module finds
what has no label: ``wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`` alone in a log line, ``my token is 8f14e45f...``.
Pure functions; `redact.Redactor` calls `unlabelled_secrets()`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

# Well-known token forms, whole (no label needed): each is specific enough to have almost no false hits.
BARE_TOKENS = re.compile(
    r"(?<![A-Za-z0-9_])(?:"
    r"gh[opsur]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|"
    r"xox[abprse]-[A-Za-z0-9-]{10,}|"
    r"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+|"
    r"npm_[A-Za-z0-9]{36}|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{30,}|"
    r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}|"
    r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}|"
    r"AIza[0-9A-Za-z_-]{35}|ya29\.[0-9A-Za-z_-]{10,}|"
    r"sk-[A-Za-z0-9_-]{20,}|"
    r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|"
    r"SK[0-9a-f]{32}|AC[0-9a-f]{32}|"
    r"[0-9a-f]{32}-us[0-9]{1,2}|"
    r"AKC[A-Za-z0-9]{10,}|"
    r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"
    r")(?![A-Za-z0-9_])"
)

# An AWS secret access key has no prefix: 40 characters of base64 alphabet, standing alone.
AWS_SECRET_SHAPE = re.compile(r"(?<![A-Za-z0-9/+=_.-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])")

# Words that announce a secret nearby, and the token that follows them on the same line (within a few words).
SECRET_WORDS = re.compile(  # matched on the lower-cased text (a case-insensitive alternation is 10x slower)
    r"(?:secret|token|passw(?:or)?d|passphrase|pwd|api[ _-]?key|access[ _-]?key|private[ _-]?key|"
    r"credential|auth|bearer|\bkey\b|signature|session)")
NEAR = 48  # characters after the word in which a high-entropy token counts as its value
CANDIDATE = re.compile(r"(?<![A-Za-z0-9+/=_.-])[A-Za-z0-9+/=_.~-]{16,}(?![A-Za-z0-9+/=_.~-])")
HEX = re.compile(r"[0-9a-fA-F]+")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def entropy(s: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


def looks_random(token: str) -> bool:
    """A token that is a key rather than a word, a path, a version or a name: letters and digits mixed, and
    close to the entropy of random text of its alphabet (hex: about 4 bits a character; base64: about 6)."""
    t = token.strip("=.-_~")
    if len(t) < 16 or not any(c.isdigit() for c in t) or not any(c.isalpha() for c in t):
        return False
    if "/" in t and (t.startswith("/") or "//" in token or re.search(r"[A-Za-z]{2,}\.[A-Za-z]{2,}", t)):
        return False  # a path or a URL
    if "." in t and re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", t) and not re.search(r"\d.*[A-Z]|[A-Z].*\d", t):
        return False  # a dotted name (host, package, version): no mixed case with digits
    if HEX.fullmatch(t):
        return entropy(t) >= 3.0 and len(t) >= 20
    upper = sum(c.isupper() for c in t)
    lower = sum(c.islower() for c in t)
    if upper == 0 or lower == 0:
        return entropy(t) >= 3.7 and len(t) >= 24  # one case only: longer to count (base32, ids)
    return entropy(t) >= min(4.2, math.log2(len(t)) - 0.6)


def unlabelled_secrets(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of secrets in `text` that no label announces."""
    for m in BARE_TOKENS.finditer(text):
        yield m.start(), m.end()
    for m in AWS_SECRET_SHAPE.finditer(text):
        t = m.group()
        if not HEX.fullmatch(t) and any(c.isdigit() for c in t) and any(c.isupper() for c in t) \
                and any(c.islower() for c in t) and entropy(t) >= 4.0:
            yield m.start(), m.end()
    low = text.lower()
    if len(low) != len(text):  # a few characters change length when lower-cased (İ): match on the text itself
        low = text
        words: Iterator[re.Match[str]] = re.finditer(SECRET_WORDS.pattern, text, re.I)
    else:
        words = SECRET_WORDS.finditer(low)
    for w in words:
        end = text.find("\n", w.end())
        end = min(len(text) if end < 0 else end, w.end() + NEAR)
        for m in CANDIDATE.finditer(text, w.end(), end):
            if UUID.fullmatch(m.group()):
                continue
            if looks_random(m.group()):
                yield m.start(), m.end()
                break
