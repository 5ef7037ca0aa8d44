"""Forgiving parser for the public query language.

Grammar (upper-case operators only; positions in notices are 1-based)::

    query   := clause*                      implicit OR, ranked best-first
    clause  := unary ("AND" unary)*
    unary   := ("NOT" | "-") unary | primary
    primary := "(" query ")" | '"phrase"' | field ":" value | word | word"*"

Malformed input never raises: every repair is reported as a notice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from archive.core.i18n import lazy_text as _l  # notices: in the reader's language, quoting input as text

MAX_QUERY_CHARS = 500
MAX_DEPTH = 8
MAX_TERMS = 64
MAX_NOTICES = 10

# Only public fields exist in the language; anything else is searched as plain words.
FIELDS = {
    "place": "place",
    "route": "route",
    "tag": "tag",
    "year": "year",
    "lang": "lang",
    "language": "lang",
}
_FIELD_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(.*)$", re.S)
_WORD_CHARS = re.compile(r"\w")
_OPERATORS = ("AND", "OR", "NOT")


@dataclass
class Word:
    """A bare word, analysed like document text."""

    text: str
    start: int


@dataclass
class Phrase:
    """A quoted phrase."""

    text: str
    start: int


@dataclass
class Prefix:
    """A word ending in `*`."""

    text: str
    start: int


@dataclass
class Fielded:
    """A `field:value` restriction on one of the public fields."""

    field: str
    value: str
    start: int


@dataclass
class Not:
    """An exclusion (`NOT x` or `-x`)."""

    child: Node


@dataclass
class AllOf:
    """Explicit AND: every operand must match."""

    children: list[Node]


@dataclass
class AnyOf:
    """A sequence of clauses: any may match, more matches rank higher."""

    children: list[Node]
    start: int = 0


Node = Word | Phrase | Prefix | Fielded | Not | AllOf | AnyOf


@dataclass
class ParsedQuery:
    """The cleaned query text, its syntax tree and notices about repairs."""

    text: str
    root: AnyOf | None
    notices: list[str] = field(default_factory=list)


@dataclass
class _Tok:
    kind: str  # ( ) PHRASE WORD FIELD AND OR NOT NEG
    value: str
    start: int
    extra: str = ""


class _Notices(list):
    """A de-duplicated, capped list of notices."""

    def add(self, message: str) -> None:
        """Add a notice once, up to the cap."""
        if message not in self and len(self) < MAX_NOTICES:
            self.append(message)


def clean(q: object, notices: _Notices) -> str:
    """Truncate, drop control/format characters and normalise the raw query."""
    text = q if isinstance(q, str) else ("" if q is None else str(q))
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notices.add(_l("The query was shortened to its first %(n)s characters.", n=MAX_QUERY_CHARS))
    out = []
    removed = False
    for ch in text:
        if ch in "\t\n\r":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and not ch.isspace():
            out.append(" ")
            removed = True
        else:
            out.append(ch)
    if removed:
        notices.add(_l("Control or invisible characters were removed from the query."))
    return unicodedata.normalize("NFC", "".join(out))


def _lex(text: str, notices: _Notices) -> list[_Tok]:
    """Split the query into tokens, reporting unbalanced quotes and unknown fields."""
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == "+":
            i += 1
        elif ch in "()":
            toks.append(_Tok(ch, ch, i))
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                notices.add(_l("Unbalanced quote at position %(position)s was ignored.", position=i + 1))
                i += 1
            else:
                if text[i + 1 : end].strip():
                    toks.append(_Tok("PHRASE", text[i + 1 : end], i))
                i = end + 1
        elif ch == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != ")":
            toks.append(_Tok("NEG", "-", i))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            word = text[i:j]
            if word in _OPERATORS:
                toks.append(_Tok(word, word, i))
                i = j
                continue
            match = _FIELD_RE.match(word)
            if match is None:
                toks.append(_Tok("WORD", word, i))
                i = j
                continue
            name, value = match.group(1).lower(), match.group(2)
            if name not in FIELDS:
                notices.add(_l("Unknown field '%(field)s:' at position %(position)s was searched as plain words.",
                               field=match.group(1), position=i + 1))
                offset = i
                for piece in word.split(":"):
                    if piece:
                        toks.append(_Tok("WORD", piece, offset))
                    offset += len(piece) + 1
            elif value:
                toks.append(_Tok("FIELD", value, i, FIELDS[name]))
            elif j < n and text[j] == '"' and text.find('"', j + 1) > 0:
                end = text.find('"', j + 1)
                toks.append(_Tok("FIELD", text[j + 1 : end], i, FIELDS[name]))
                j = end + 1
            else:
                notices.add(_l("Field '%(field)s:' at position %(position)s has no value and was ignored.",
                               field=name, position=i + 1))
            i = j
    return toks


class _Parser:
    def __init__(self, toks: list[_Tok], notices: _Notices) -> None:
        """Parse `toks`, collecting repairs in `notices`."""
        self.toks = toks
        self.i = 0
        self.notices = notices
        self.terms = 0

    def peek(self) -> _Tok | None:
        """Return the next token without consuming it."""
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        """Consume and return the next token."""
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def ignored(self, tok: _Tok) -> None:
        """Report a stray operator."""
        self.notices.add(_l("Operator '%(operator)s' at position %(position)s was ignored.", operator=tok.value,
                            position=tok.start + 1))

    def sequence(self, depth: int, opener: _Tok | None) -> list[Node]:
        """Parse clauses until the end or the `)` closing `opener`."""
        items: list[Node] = []
        while (tok := self.peek()) is not None:
            if tok.kind == ")":
                self.take()
                if opener is not None:
                    return items
                self.notices.add(_l("Unbalanced parenthesis at position %(position)s was ignored.", position=tok.start + 1))
                continue
            if tok.kind in ("OR", "AND"):
                # A binary operator with no left operand (or OR, which is implicit anyway).
                self.take()
                nxt = self.peek()
                if tok.kind == "AND" or not items or nxt is None or nxt.kind in (")", "AND", "OR"):
                    self.ignored(tok)
                continue
            clause = self.clause(depth)
            if clause is not None:
                items.append(clause)
        if opener is not None:
            self.notices.add(_l("Missing closing parenthesis for the one at position %(position)s; assumed at the end.",
                                position=opener.start + 1))
        return items

    def clause(self, depth: int) -> Node | None:
        """Parse operands joined by AND."""
        operands: list[Node] = []
        first = self.unary(depth)
        if first is not None:
            operands.append(first)
        while (tok := self.peek()) is not None and tok.kind == "AND":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "AND", "OR"):
                self.ignored(tok)
                continue
            operand = self.unary(depth)
            if operand is None or not operands:
                self.ignored(tok)
            if operand is not None:
                operands.append(operand)
        if not operands:
            return None
        return operands[0] if len(operands) == 1 else AllOf(operands)

    def unary(self, depth: int) -> Node | None:
        """Parse a negation, a parenthesised group or a leaf."""
        tok = self.peek()
        if tok is None:
            return None
        if tok.kind in ("NOT", "NEG"):
            # Count stacked negations iteratively: "-----x" must not recurse per dash.
            negations = 0
            while (tok := self.peek()) is not None and tok.kind in ("NOT", "NEG"):
                self.take()
                negations += 1
                nxt = self.peek()
                if nxt is None or nxt.kind in (")", "AND", "OR"):
                    if tok.kind == "NOT":
                        self.ignored(tok)
                    return None
            child = self.unary(depth)
            if child is None or negations % 2 == 0:
                return child
            return Not(child)
        if tok.kind == "(":
            self.take()
            if depth >= MAX_DEPTH:
                self.notices.add(_l("Parentheses nested too deeply at position %(position)s were ignored.",
                                    position=tok.start + 1))
                return None
            items = self.sequence(depth + 1, tok)
            if not items:
                return None
            return items[0] if len(items) == 1 else AnyOf(items, tok.start)
        if tok.kind in (")", "AND", "OR"):
            return None
        self.take()
        return self.leaf(tok)

    def leaf(self, tok: _Tok) -> Node | None:
        """Turn a word, phrase or field token into a node (capped in number)."""
        if self.terms >= MAX_TERMS:
            self.notices.add(_l("Only the first %(n)s search terms were used.", n=MAX_TERMS))
            return None
        self.terms += 1
        if tok.kind == "PHRASE":
            return Phrase(tok.value, tok.start)
        if tok.kind == "FIELD":
            value = tok.value
            if "*" in value:
                self.notices.add(_l("Wildcards are not supported in field searches (position %(position)s); "
                                    "'*' was ignored.", position=tok.start + 1))
                value = value.replace("*", " ").strip()
                if not value:
                    return None
            return Fielded(tok.extra, value, tok.start)
        return self.word(tok.value, tok.start)

    def word(self, text: str, start: int) -> Node | None:
        """Turn a bare word into a word or prefix node, refusing unsafe wildcards."""
        if "*" not in text:
            return Word(text, start)
        base = text.rstrip("*")
        if not _WORD_CHARS.search(base):
            self.notices.add(_l("A bare wildcard at position %(position)s was ignored.", position=start + 1))
            return None
        if "*" in base:
            self.notices.add(_l("Wildcards only work at the end of a word; '%(text)s' at position %(position)s "
                                "was searched without them.", text=text, position=start + 1))
            return Word(text.replace("*", " "), start)
        if len(_WORD_CHARS.findall(base)) < 2:
            self.notices.add(_l("Prefix '%(text)s' at position %(position)s is too short (two letters at least) "
                                "and was ignored.", text=text, position=start + 1))
            return None
        return Prefix(base, start)


def parse(q: object) -> ParsedQuery:
    """Parse a user query into a tree, repairing anything malformed (never raises)."""
    notices = _Notices()
    text = clean(q, notices)
    parser = _Parser(_lex(text, notices), notices)
    items = parser.sequence(0, None)
    root = AnyOf(items) if items else None
    return ParsedQuery(text, root, list(notices))
