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

from .redact_scan import windows

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
    r"credential|auth|bearer|k(?<!\w.)ey\b|signature|session)")  # \bkey: so that the search starts with a charset
# One of these is in every match of SECRET_WORDS (lower-cased).
SECRET_LITERALS = ("secret", "token", "pass", "pwd", "key", "credential", "auth", "bearer", "signature", "session")
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


# Where a bare token can be: BARE_TOKENS is run only on the lines holding one of these (see redact_scan).
BARE_TRIGGER = ("ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_", "glpat-", "xox", "hooks.slack.com", "npm_",
                "pypi-", "_live_", "_test_", "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "AIza",
                "ya29.", "sk-", "SG.", "SK", "AC", "-us", "AKC", "eyJ")


def unlabelled_secrets(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of secrets in `text` that no label announces. Each search runs only on the lines that can hold
    what it looks for (see redact_scan): every secret here is a run of at least 13 characters without a space."""
    words = {w for w in text.split() if len(w) >= 13}
    if not words:
        return
    bare = tuple(w for w in words if any(t in w for t in BARE_TRIGGER))
    for a, b in windows(text, bare):
        for m in BARE_TOKENS.finditer(text, a, b):
            yield m.start(), m.end()
    longs = tuple(w for w in words if len(w) >= 40)  # an AWS secret key: 40 characters
    for a, b in windows(text, longs):
        for m in AWS_SECRET_SHAPE.finditer(text, a, b):
            t = m.group()
            if not HEX.fullmatch(t) and any(c.isdigit() for c in t) and any(c.isupper() for c in t) \
                    and any(c.islower() for c in t) and entropy(t) >= 4.0:
                yield m.start(), m.end()
    # A CANDIDATE after a secret word: only on the lines holding a secret word and (when a few) one of the runs.
    runs = {m.group() for w in words if len(w) >= 16 for m in CANDIDATE.finditer(w)}
    if not runs:
        return
    low = text.lower()
    if len(low) != len(text):  # a few characters change length when lower-cased (İ): the whole text
        yield from _near_words(text, 0, len(text))
        return
    spans = windows(low, SECRET_LITERALS)
    if len(runs) <= 32:
        spans = [(a, b) for a, b in spans if any(r in text[a:b] for r in runs)]
    for a, b in spans:
        yield from _near_words(text, a, b)


def _near_words(text: str, a: int, b: int) -> Iterator[tuple[int, int]]:
    """High-entropy tokens shortly after a secret word in text[a:b] (whole lines)."""
    part = text[a:b] if a or b < len(text) else text
    low = part.lower()
    if len(low) != len(part):  # a few characters change length when lower-cased (İ): match on the text itself
        said: Iterator[re.Match[str]] = re.finditer(SECRET_WORDS.pattern, part, re.I)
    else:
        said = SECRET_WORDS.finditer(low)
    for w in said:
        we = a + w.end()
        end = text.find("\n", we)
        end = min(len(text) if end < 0 else end, we + NEAR)
        for m in CANDIDATE.finditer(text, we, end):
            if UUID.fullmatch(m.group()):
                continue
            if looks_random(m.group()):
                yield m.start(), m.end()
                break
