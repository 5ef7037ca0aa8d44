"""Turn a parsed query into a Whoosh query for one audience, plus what to highlight."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.reading import TermNotFound

from archive.core.i18n import lazy_text as _l  # notices: in the reader's language, quoting input as text

from . import korean
from .analysis import PLACE_PREFIX, Analyzer, fold, has_hangul, stem
from .phrase import ExactPhrase
from .query import AllOf, AnyOf, Fielded, Node, Not, ParsedQuery, Phrase, Prefix, Word
from .ranking import FieldsTerm
from .schema import NAME_PREFIX, slug
from .strings import gram_fields, gram_query

FIELD_BOOSTS = {"title": 3.0, "names": 2.0, "summary": 1.5, "text": 1.0, "rtext": 1.0}
# Transcript fields rank on frequencies; their phrases are checked on the positional twin.
POSITION_FIELDS = {"text": "textpos", "rtext": "rtextpos"}
# A testimony's origin and route places count even when its text never names them.
PLACE_FIELD_BOOST = 1.0
# Matches nothing: a prefix without expansions must not vanish from AND/NOT structure.
NOTHING = wq.Term("id", "~")
MAX_EXPANSION = 64
_MAX_CANDIDATES = 4000
_MAX_POSTINGS_SCAN = 5000
_TIEBREAK = 0.1
_LANGUAGES = {
    "english": "en",
    "korean": "ko",
    "한국어": "ko",
    "조선어": "ko",
    "영어": "en",
    "chinese": "zh",
    "중국어": "zh",
}
_SPELLABLE = re.compile(r"\W*([A-Za-z]{3,})\W*")
_HANGUL_RUN = re.compile(r"[가-힣]{2,}")
_SPELLABLE_HANGUL = re.compile(r"\W*([가-힣]{2,8})\W*")
_YEAR_SPEC = re.compile(r"^(?:(\d{4})|(\d{4})?\.\.(\d{4})?|(\d{4})-(\d{4})|(>=|<=|>|<)(\d{4}))$")


@dataclass(frozen=True)
class Unit:
    """Something to highlight: one set of alternative terms per consecutive position."""

    steps: tuple[frozenset[str], ...]


@dataclass
class Compiled:
    """A Whoosh query (None: nothing to search) and highlighting/suggestion material."""

    query: Any
    units: list[Unit] = field(default_factory=list)
    spell: list[tuple[int, int, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)  # folded Hangul strings to mark (korean.fold_text)


class Compiler:
    """Compile for one audience: `fields` are the searchable text fields it may use."""

    def __init__(self, analyzer: Analyzer, reader: Any, fields: tuple[str, ...], allowed: int | None) -> None:
        """Compile for an audience; `allowed` limits lexicon checks to visible documents."""
        self.analyzer = analyzer
        self.reader = reader
        self.fields = fields
        self.gram_fields = gram_fields(fields)
        self.allowed = allowed
        self.units: list[Unit] = []
        self.spell: list[tuple[int, int, str]] = []
        self.notices: list[str] = []
        self.strings: list[str] = []

    def compile(self, parsed: ParsedQuery) -> Compiled:
        """Compile the whole query tree."""
        query = None
        if parsed.root is not None:
            positive, negative = self._split(parsed.root.children, False)
            positive.extend(self._place_spans(parsed.root.children, False))
            if negative and not positive:
                self.notices.append(
                    _l("The query only excludes words, so it matches every testimony without them.")
                )
            query = self._combine(positive, negative, any_=True)
        if query is None and parsed.text.strip():
            self.notices.append(
                _l("Nothing searchable was left in the query (very common words and symbols are not searched).")
            )
        return Compiled(query, self.units, self.spell, self.notices, list(dict.fromkeys(self.strings)))

    # -- structure ------------------------------------------------------------------------

    def node(self, node: Node, negated: bool) -> Any:
        """Compile any node; `negated` parts are never highlighted or spell-checked."""
        if isinstance(node, Word):
            return self.word(node, negated)
        if isinstance(node, Phrase):
            return self.phrase(node, negated)
        if isinstance(node, Prefix):
            return self.prefix(node, negated)
        if isinstance(node, Fielded):
            return self.fielded(node, negated)
        if isinstance(node, AnyOf):
            return self.any_of(node, negated)
        if isinstance(node, AllOf):
            return self.all_of(node, negated)
        if isinstance(node, Not):
            inner = self.node(node.child, True)
            return None if inner is None else wq.AndNot(wq.Every(), inner)
        return None

    def _split(self, children: list[Node], negated: bool) -> tuple[list[Any], list[Any]]:
        """Compile children into positive and excluded queries."""
        positive, negative = [], []
        for child in children:
            if isinstance(child, Not):
                q = self.node(child.child, True)
                if q is not None:
                    negative.append(q)
            else:
                q = self.node(child, negated)
                if q is not None:
                    positive.append(q)
        return positive, negative

    def _combine(self, positive: list[Any], negative: list[Any], any_: bool) -> Any:
        """Join positives (any or all) and subtract exclusions."""
        if positive:
            base = positive[0] if len(positive) == 1 else (wq.Or(positive) if any_ else wq.And(positive))
        elif negative:
            base = wq.Every()
        else:
            return None
        if negative:
            return wq.AndNot(base, negative[0] if len(negative) == 1 else wq.Or(negative))
        return base

    def any_of(self, node: AnyOf, negated: bool) -> Any:
        """Compile a sequence: any clause may match, more matches rank higher."""
        positive, negative = self._split(node.children, negated)
        positive.extend(self._place_spans(node.children, negated))
        return self._combine(positive, negative, any_=True)

    def all_of(self, node: AllOf, negated: bool) -> Any:
        """Compile an explicit AND."""
        positive, negative = self._split(node.children, negated)
        return self._combine(positive, negative, any_=False)

    # -- leaves ---------------------------------------------------------------------------

    def _alternatives(self, terms: list[str]) -> Any:
        """Any of these terms in any searchable field; synonyms do not add up (DisMax)."""
        subs = []
        for term in dict.fromkeys(terms):
            per_field = [self._text_term(term)]
            if term.startswith(PLACE_PREFIX):
                per_field.append(wq.Term("place", term, boost=PLACE_FIELD_BOOST))
            subs.append(per_field[0] if len(per_field) == 1 else wq.Or(per_field))
        return subs[0] if len(subs) == 1 else wq.DisjunctionMax(subs, tiebreak=_TIEBREAK)

    def _text_term(self, term: str) -> Any:
        """One term in every searchable text field, ranked by BM25F."""
        return FieldsTerm([wq.Term(f, term, boost=FIELD_BOOSTS[f]) for f in self.fields])

    def _highlight(self, negated: bool, *steps: list[str]) -> None:
        """Remember terms to mark in passages (positive parts only)."""
        if not negated:
            self.units.append(Unit(tuple(frozenset(s) for s in steps)))

    def _grams(self, text: str, negated: bool) -> Any:
        """The Hangul string query of `text` on this audience's bigram fields (None: no Hangul run)."""
        query, spans = gram_query(text, self.gram_fields)
        if not negated:
            self.strings.extend(spans)
        return query

    def word(self, node: Word, negated: bool) -> Any:
        """Compile a bare word with its place synonyms, partial-name expansions and Hangul bigrams."""
        tokens, _ = self.analyzer.tokens(node.text, query=True)
        grams = self._grams(node.text, negated)
        if not tokens:
            return grams
        groups: dict[int, list[str]] = {}
        spans: list[str] = []
        for tok in tokens:
            if tok.last > tok.pos:
                spans.append(tok.term)
            else:
                groups.setdefault(tok.pos, []).append(tok.term)
        for terms in groups.values():
            self._highlight(negated, terms)
        for term in spans:
            self._highlight(negated, [term])
        parts = [self._alternatives(terms) for terms in groups.values()]
        sequence = parts[0] if len(parts) == 1 else wq.And(parts)
        if spans:
            sequence = wq.DisjunctionMax([sequence, self._alternatives(spans)], tiebreak=_TIEBREAK)
        if not negated:
            match = _SPELLABLE.fullmatch(node.text)
            if not (match and len(groups) == 1):
                # Kiwi splits a misspelt Korean word unpredictably: correct the word as typed.
                match = _SPELLABLE_HANGUL.fullmatch(node.text)
            if match:
                self.spell.append(
                    (node.start + match.start(1), node.start + match.end(1), match.group(1).lower())
                )
        return sequence if grams is None else wq.Or([sequence, grams])

    def _place_spans(self, children: list[Node], negated: bool) -> list[Any]:
        """Recognise place names typed as separate words, e.g. North Hamgyong."""
        out: list[Any] = []
        run: list[str] = []
        for child in [*children, None]:
            if isinstance(child, Word):
                run.append(child.text)
                continue
            if len(run) > 1:
                tokens, _ = self.analyzer.tokens(" ".join(run))
                spans = [t.term for t in tokens if t.last > t.pos and t.term.startswith(PLACE_PREFIX)]
                if spans:
                    for term in spans:
                        self._highlight(negated, [term])
                    out.append(self._alternatives(spans))
            run = []
        return out

    def phrase(self, node: Phrase, negated: bool) -> Any:
        """Compile a quoted phrase (or the place it names).

        A phrase that is one Hangul string ("유생력량") also matches that string however Kiwi
        splits it in context; phrases of several words stay exact.
        """
        query = self._phrase(node, negated)
        grams = self._grams(node.text, negated) if _HANGUL_RUN.fullmatch(node.text.strip()) else None
        if grams is None:
            return query
        return grams if query is None else wq.Or([query, grams])

    def _phrase(self, node: Phrase, negated: bool) -> Any:
        """Compile a quoted phrase from its words (morphemes for Korean)."""
        tokens, count = self.analyzer.tokens(node.text)
        words = [t.term for t in tokens if t.surface is not None]
        if not words:
            return None
        whole = [
            t.term for t in tokens if t.term.startswith(PLACE_PREFIX) and t.pos == 0 and t.last == count - 1
        ]
        if len(words) == 1:
            self._highlight(negated, words + whole)
            return self._alternatives(words + whole)
        self._highlight(negated, *[[w] for w in words])
        phrases = []
        for f in self.fields:
            boost = FIELD_BOOSTS[f]
            if f in POSITION_FIELDS:
                ranked = wq.And([wq.Term(f, w, boost=boost) for w in dict.fromkeys(words)])
                phrases.append(wq.Require(ranked, ExactPhrase(POSITION_FIELDS[f], words)))
            else:
                phrases.append(ExactPhrase(f, words, boost=boost))
        query = wq.Or(phrases)
        if whole:
            self._highlight(negated, whole)
            query = wq.DisjunctionMax([query, self._alternatives(whole)], tiebreak=_TIEBREAK)
        return query

    def _visible(self, fieldname: str, term: str) -> bool:
        """Tell whether a lexicon term occurs in a live document this audience may see.

        Deleted documents' terms stay in the lexicon until their segment is merged, so a
        lexicon entry alone proves nothing.
        """
        try:
            matcher = self.reader.postings(fieldname, term)
        except TermNotFound:
            return False
        allowed = self.allowed
        steps = 0
        while matcher.is_active() and steps < _MAX_POSTINGS_SCAN:
            if allowed is None or (allowed >> matcher.id()) & 1:
                return True
            matcher.next()
            steps += 1
        return False

    def prefix(self, node: Prefix, negated: bool) -> Any:
        """Expand `word*` to live terms the audience may see, capped."""
        pieces = re.findall(r"\w+", node.text)
        if not pieces:
            return None
        base = pieces[-1]
        leading = self.word(Word(" ".join(pieces[:-1]), node.start), negated) if len(pieces) > 1 else None
        if has_hangul(base):
            starts = {korean.dueum(base.lower())}
        else:
            folded = fold(base)
            # Terms are stems: "escape*" must reach "escap" (escaped, escaping) too.
            starts = {folded, stem(folded)}
        found: list[str] = []
        seen: set[str] = set()
        capped = False
        examined = 0
        for start in sorted(starts):
            for fieldname in self.fields:
                for term in self.reader.expand_prefix(fieldname, start):
                    term = term.decode("utf-8") if isinstance(term, bytes) else term
                    examined += 1
                    if examined > _MAX_CANDIDATES:
                        capped = True
                        break
                    if term in seen or term.startswith("~"):
                        continue
                    seen.add(term)
                    if any(self._visible(f, term) for f in self.fields):
                        if len(found) >= MAX_EXPANSION:
                            capped = True
                            break
                        found.append(term)
                if capped:
                    break
        if capped:
            self.notices.append(
                _l("'%(text)s*' matches too many words; only the first %(n)s were searched.", text=node.text,
                   n=MAX_EXPANSION)
            )
        if not found:
            return NOTHING if leading is None else leading
        self._highlight(negated, found)
        subs = [self._text_term(t) for t in found]
        query = wq.Or(subs) if len(subs) > 1 else subs[0]
        return query if leading is None else wq.Or([leading, query])

    def fielded(self, node: Fielded, negated: bool) -> Any:
        """Compile a public field restriction."""
        value = node.value.strip()
        name = node.field
        if name == "year":
            return self._year(value, node)
        if name == "place":
            # A full place name ("South Hamgyong", "함경남도", "Hamgyŏng-namdo") means that place
            # only; a partial name shared by several places ("Hamgyong") means any of them.
            tokens, _ = self.analyzer.tokens(value.replace("-", " "))
            places = sorted({t.term for t in tokens if t.term.startswith(PLACE_PREFIX)})
            if not places:
                tokens, _ = self.analyzer.tokens(value.replace("-", " "), query=True)
                places = sorted({t.term for t in tokens if t.term.startswith(PLACE_PREFIX)})
            if places:
                self._highlight(negated, places)
            terms = [*places, NAME_PREFIX + slug(value)]
        elif name == "route":
            tokens, _ = self.analyzer.tokens(value.replace("-", " "))
            terms = [slug(value), *sorted({t.term for t in tokens if t.term.startswith(PLACE_PREFIX)})]
        elif name == "tag":
            terms = [value.lower(), slug(value)]
        else:
            code = _LANGUAGES.get(value.lower(), value.lower())
            terms = [slug(code)]
        terms = [t for t in dict.fromkeys(terms) if t and t != NAME_PREFIX]
        if not terms:
            return None
        subs = [wq.Term(name, t) for t in terms]
        # Field restrictions select; they should not outweigh the words in ranking.
        return wq.ConstantScoreQuery(subs[0] if len(subs) == 1 else wq.Or(subs), 1.0)

    def _year(self, value: str, node: Fielded) -> Any:
        """Compile year:2009, year:2005..2010, year:2005-2010, year:>2010 and the like."""
        match = _YEAR_SPEC.match(value.replace(" ", ""))
        if match is None:
            self.notices.append(
                _l("'year:%(value)s' at position %(position)s is not a year or year range and was ignored.",
                   value=value, position=node.start + 1)
            )
            return None
        single, low, high, dlow, dhigh, op, opyear = match.groups()
        if single:
            low = high = single
        elif dlow:
            low, high = dlow, dhigh
        elif op:
            year = int(opyear)
            low, high = {
                ">": (str(year + 1), None),
                ">=": (opyear, None),
                "<": (None, str(year - 1)),
                "<=": (None, opyear),
            }[op]
        low = low or "0000"
        high = high or "9999"
        if low > high:
            low, high = high, low
        return wq.ConstantScoreQuery(wq.TermRange("year", low, high), 1.0)
