"""Whoosh schema and the conversion of testimony dicts into pre-analysed index fields.

Over 400 lines on purpose: the schema, the per-audience documents and the compact field codec that
writes them are one contract with the index on disk (a change to one is a change of SCHEMA_VERSION);
kept together so that contract is read in one place.
"""

from __future__ import annotations

import io
import json
import re
import struct
from collections.abc import Iterable, Iterator
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from whoosh import columns, formats
from whoosh.filedb import structfile
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PostingsWriter
from whoosh.fields import COLUMN, ID, FieldType, Schema
from whoosh.system import pack_uint

from . import korean
from .analysis import Analyzer, fold, has_hangul, normalize

# Bump whenever indexed content changes shape; an index of another version is rebuilt at start.
# 2: Korean words feed spelling suggestions.
# 3: one physical index per audience (public, researcher, staff); years as bands.
# 4: "dur" (the recording's length) in meta, for sorting by duration.
# 5: Hangul syllable bigrams (grams, rgrams) beside the morphemes; North Korean loanwords.
SCHEMA_VERSION = "5"

# One physical index per audience, named after it: each holds only the documents its audience
# may search, so ranking statistics (document counts, frequencies, lengths) come from that set.
INDEXES = ("public", "researcher", "staff")
STAFF_INDEX = "staff"
_LEGACY_REACH = {"public": INDEXES, "researchers": ("researcher", "staff")}
# A band wider than this (in years) is not expanded into year terms (they would mean nothing).
_MAX_BAND_YEARS = 20

# Gaps keep phrases from matching across two transcript segments.
SEGMENT_POSITION_GAP = 100
SEGMENT_CHAR_GAP = 1

NAME_PREFIX = "~n"
_HANGUL_WORD = re.compile(r"[가-힣]{2,}")


_FORMATS = {
    "counts": formats.Frequency,
    "freq": formats.Frequency,
    "positions": formats.Positions,
    "chars": formats.Characters,
}


class PostingsField(FieldType):
    """A field fed with pre-analysed postings {term: [(pos, start, end), ...]}.

    Analysis happens once per document in our own code, so every field and both
    physical indexes reuse it instead of running Whoosh analyzers again. `kind` picks
    what each posting keeps: "freq" (ranking), "positions" (phrases) or "chars"
    (phrases plus character offsets for highlighting); a "counts" field is fed {term: count}.
    """

    def __init__(self, kind: str) -> None:
        super().__init__(_FORMATS[kind](), analyzer=None, scorable=True)
        self.kind = kind

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        """Yield (term, frequency, weight, encoded postings) for each term."""
        kind = self.kind
        encode = getattr(self.format, "encode", None)  # Frequency has none
        if kind == "counts":
            for term, count in value.items():
                yield term.encode("utf-8"), count, float(count), pack_uint(count)
            return
        for term, postings in value.items():
            if kind == "freq":
                data = pack_uint(len(postings))
            elif kind == "positions":
                data = encode([p for p, _, _ in postings])
            else:
                data = encode(postings)
            yield term.encode("utf-8"), len(postings), float(len(postings)), data


class TermSetField(FieldType):
    """A field holding a set of literal terms (presence only)."""

    def __init__(self) -> None:
        """Decode the record header of a packed segment table."""
        super().__init__(formats.Existence(), analyzer=None, scorable=True)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        """Yield each distinct term once."""
        for term in set(value):
            yield term.encode("utf-8"), 1, 1.0, b""


# Posting blocks of positional transcript fields hold this many testimonies instead of
# 128: a result page reads positions of ~20 testimonies, and a block of a frequent word
# carries every occurrence in each of its testimonies.
POSITION_BLOCK = 16
_POSITION_FIELDS = frozenset({"textpos", "rtextpos"})


class _FieldWriter(W3FieldWriter):
    """Whoosh's field writer with smaller posting blocks for positional fields."""

    def start_field(self, fieldname: str, fieldobj: FieldType) -> None:
        """Start a field, shrinking its blocks if it is positional."""
        super().start_field(fieldname, fieldobj)
        if fieldname in _POSITION_FIELDS:
            self._postwriter._blocklimit = POSITION_BLOCK

    def add_postings(self, schema: Schema, lengths: Any, items: Any) -> None:
        """Write postings, reading each document's field length once instead of per term."""
        super().add_postings(schema, _CachedLengths(lengths) if lengths else lengths, items)


class _CachedLengths:
    """Memoises doc_field_length(): Whoosh asks it for every posting it writes."""

    def __init__(self, lengths: Any) -> None:
        self._lengths = lengths
        self._cache: dict[tuple[int, str], int] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        """Return (and remember) a document's length in one field."""
        key = (docnum, fieldname)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._lengths.doc_field_length(docnum, fieldname, default)
        return found


# Terms found in a single testimony of a segment keep their posting inside the term table.
INLINE_LIMIT = 2


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer with working inlining of tiny posting lists.

    whoosh-reloaded's own inlining calls a misspelt method (`set_inline`), so it is off by
    default. A curator's save writes a one-testimony segment in which every term has one
    posting; writing each as its own pickled block in the postings file is what made that
    write slow. Readers already understand inlined postings (W3Codec.postings_reader).
    """

    def finish_postings(self) -> Any:
        """Inline a short, unwritten posting list into the term info; else write blocks."""
        terminfo = self._terminfo
        if not self.written() and 0 < len(self) < self._inlinelimit:
            terminfo.add_block(self)
            # Merges expect bytes values; value-less formats (Existence) buffer none at all.
            terminfo.set_inlined(self._ids, self._weights, self._values or [b""] * len(self))
            self._terminfo = None
            return terminfo
        return super().finish_postings()


class ArchiveCodec(W3Codec):
    """Whoosh's default codec, tuned for passage lookups (readers need no change)."""

    def __init__(self, compression: int = 0) -> None:
        """Leave posting blocks uncompressed: about 15% faster indexing for 25% more disk."""
        super().__init__(compression=compression, inlinelimit=INLINE_LIMIT)

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        """Return the field writer with per-field block sizes."""
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        """Return the postings writer that inlines single postings."""
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class _MemoryRaw(io.RawIOBase):
    """A raw read-only stream over a memoryview (wrapped in a C BufferedReader for speed)."""

    def __init__(self, buf: Any) -> None:
        super().__init__()
        self._buf = memoryview(buf)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        """Copy the next bytes into `target` (one call per buffer refill)."""
        start = self._pos
        end = min(len(self._buf), start + len(target))
        size = max(0, end - start)
        target[:size] = self._buf[start:end]
        self._pos = start + size
        return size

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the position like a file."""
        base = (0, self._pos, len(self._buf))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        """Return the position."""
        return self._pos

    def close(self) -> None:
        """Drop the view (the mmap behind it is closed by its owner)."""
        self._buf = memoryview(b"")
        super().close()


def _buffer_file_init(self: Any, buf: Any, name: str | None = None, onclose: Any = None) -> None:
    """BufferFile.__init__ without copying the whole buffer into a BytesIO.

    Compound segment files are memory-mapped; Whoosh's BufferFile copied every opened
    sub-file (postings and term tables of a whole segment, hundreds of MB for a large
    archive) each time a searcher was reopened after a save.
    """
    self._buf = buf
    self._name = name
    self.file = io.BufferedReader(_MemoryRaw(buf), buffer_size=4096)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


structfile.BufferFile.__init__ = _buffer_file_init  # type: ignore[method-assign]


def codec() -> ArchiveCodec:
    """Return the codec every writer of these indexes uses."""
    return ArchiveCodec()


def build_schema() -> Schema:
    """Return the schema shared by the audiences' indexes."""
    return Schema(
        id=ID(unique=True),
        title=PostingsField("positions"),
        # The narrator's pseudonym and chosen public name: public by design, never the real name.
        names=PostingsField("positions"),
        summary=PostingsField("positions"),
        # Transcripts are indexed twice: compact frequencies for ranking, and positions with
        # character offsets for phrases and passages. Ranking a frequent word must not
        # decompress the position lists of every testimony.
        text=PostingsField("freq"),
        rtext=PostingsField("freq"),
        textpos=PostingsField("chars"),
        rtextpos=PostingsField("chars"),
        # Folded Hangul syllable bigrams of all public text (restricted text: rgrams), so that any
        # Hangul string of two syllables or more finds the testimony whatever Kiwi made of it.
        grams=PostingsField("counts"),
        rgrams=PostingsField("counts"),
        words=TermSetField(),
        place=TermSetField(),
        route=TermSetField(),
        tag=TermSetField(),
        lang=TermSetField(),
        year=TermSetField(),
        meta=COLUMN(columns.VarBytesColumn()),
        # A plain column (not a stored field): passages read one testimony's segment table
        # by slicing, without decompressing neighbouring testimonies.
        segs=COLUMN(columns.VarBytesColumn()),
    )


def slug(value: str) -> str:
    """Return a lower-case hyphenated form of a label or slug."""
    return re.sub(r"[^\w]+", "-", fold(value)).strip("-_")


def date_key(value: str | None) -> str:
    """Make "2019", "2019-05" and "2019-05-14" sort together ("" sorts last)."""
    if not value:
        return ""
    parts = [*str(value).split("-"), "00", "00"][:3]
    return "-".join(p.zfill(2) for p in parts)


@dataclass
class Segment:
    """A transcript segment with its place in the testimony's position/character space."""

    id: int
    pos: int
    end_pos: int
    chars: int
    start: float
    end: float
    restricted: bool
    text: str


@dataclass
class PreparedDoc:
    """One audience's document of a testimony, analysed once, for the indexes in `indexes`.

    Audiences whose documents are identical share one PreparedDoc (and, on disk, one segment).
    """

    id: int
    indexes: tuple[str, ...]
    common: dict[str, Any]
    text: dict[str, list[tuple[int, int, int]]]
    rtext: dict[str, list[tuple[int, int, int]]]
    words: set[str]
    segments: list[Segment] = field(default_factory=list)
    grams: Counter[str] = field(default_factory=Counter)
    rgrams: Counter[str] = field(default_factory=Counter)

    def fields(self) -> dict[str, Any]:
        """Return add_document() keyword arguments (the same for every index in `indexes`).

        Restricted text (`rtext`) only exists in staff documents: `audience_documents` drops
        restricted segments from every other audience's document before analysis. Surface
        `words` feed spelling suggestions, which only ever read the public index.
        """
        out = dict(self.common)
        out["text"] = out["textpos"] = self.text
        out["rtext"] = out["rtextpos"] = self.rtext
        out["words"] = self.words
        out["grams"] = self.grams
        out["rgrams"] = self.rgrams
        out["segs"] = pack_segments(self.segments)
        return out


def audience_documents(doc: dict[str, Any]) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """Split one testimony into the documents each audience's index receives, equal ones grouped.

    The archive sends `{"id", "stamp", "audiences": {"public": {...} | None, "researcher": ...,
    "staff": ...}}`, each built from what that audience may see (None: not in its index). A
    plain document with a `visibility` ("public", "researchers" or "staff") instead goes, as it
    is, to the audiences that visibility reaches (tests and benchmarks use this form).
    Whatever the form, restricted segments only ever reach the staff index.
    """
    doc_id = int(doc["id"])
    per: dict[str, dict[str, Any]] = {}
    if "audiences" in doc:
        given = doc.get("audiences") or {}
        for name in INDEXES:
            sub = given.get(name)
            if sub:
                per[name] = {**sub, "id": doc_id, "stamp": str(doc.get("stamp") or sub.get("stamp") or "")}
    else:
        reach = _LEGACY_REACH.get(str(doc.get("visibility") or STAFF_INDEX), (STAFF_INDEX,))
        per = {name: doc for name in reach}
    for name, sub in per.items():
        segments = sub.get("segments") or []
        if name != STAFF_INDEX and any(s.get("restricted") for s in segments):
            per[name] = {**sub, "segments": [s for s in segments if not s.get("restricted")]}
    groups: list[tuple[list[str], dict[str, Any]]] = []
    for name in INDEXES:
        if name not in per:
            continue
        for names, found in groups:
            if found == per[name]:
                names.append(name)
                break
        else:
            groups.append(([name], per[name]))
    return [(tuple(names), found) for names, found in groups]


def year_band(doc: dict[str, Any], band_key: str, year_key: str) -> list[int] | None:
    """[low, high] of a year shown as a band (`band_key`: [low, high]) or exactly (`year_key`)."""
    band = doc.get(band_key)
    try:
        if band:
            low, high = int(band[0]), int(band[1])
            return [min(low, high), max(low, high)]
        year = doc.get(year_key)
        return [int(year), int(year)] if year else None
    except (TypeError, ValueError, IndexError):
        return None


_COUNT = struct.Struct("<I")
_RECORD = struct.Struct("<qiiiddBII")  # id, pos, end pos, chars, start, end, restricted, offset, length


def pack_segments(segments: list[Segment]) -> bytes:
    """Encode a segment table: fixed-size records, then the UTF-8 texts."""
    texts = [s.text.encode("utf-8") for s in segments]
    records = []
    offset = 0
    for seg, text in zip(segments, texts, strict=True):
        records.append(
            _RECORD.pack(
                seg.id, seg.pos, seg.end_pos, seg.chars, seg.start, seg.end, seg.restricted, offset, len(text)
            )
        )
        offset += len(text)
    return _COUNT.pack(len(segments)) + b"".join(records) + b"".join(texts)


class SegmentTable:
    """A decoded segment table whose texts are only decoded when asked for."""

    def __init__(self, blob: bytes) -> None:
        """Decode the record header of a packed segment table."""
        (count,) = _COUNT.unpack_from(blob, 0)
        end = _COUNT.size + count * _RECORD.size
        self.blob = blob
        self.base = end
        self.records = list(_RECORD.iter_unpack(blob[_COUNT.size : end]))

    def __len__(self) -> int:
        """Return the number of segments."""
        return len(self.records)

    def segment(self, index: int) -> Segment:
        """Return one segment with its text."""
        seg_id, pos, end_pos, chars, start, end, restricted, offset, length = self.records[index]
        text = self.blob[self.base + offset : self.base + offset + length].decode("utf-8")
        return Segment(seg_id, pos, end_pos, chars, start, end, bool(restricted), text)


def _place_terms(analyzer: Analyzer, names: Iterable[str]) -> set[str]:
    """Canonical place tokens plus a literal name key for every place name or slug."""
    terms: set[str] = set()
    for name in names:
        if not name:
            continue
        text = str(name).replace("-", " ")
        tokens, _ = analyzer.tokens(text)
        terms.update(t.term for t in tokens if t.term.startswith("~p"))
        literal = slug(text)
        if literal:
            terms.add(NAME_PREFIX + literal)
    return terms


def _seconds(value: Any) -> float | None:
    """A recording's length in seconds, or None when it has none (or it is unreadable)."""
    try:
        return round(float(value), 2) if value is not None and float(value) > 0 else None
    except (TypeError, ValueError):
        return None


def _listed(value: Any) -> list[str]:
    """Normalise a scalar-or-list field to a list of non-empty strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v is not None and str(v) != ""]


def prepare(doc: dict[str, Any], analyzer: Analyzer, indexes: tuple[str, ...] = INDEXES) -> PreparedDoc:
    """Analyse one audience's testimony dict into index fields (the only place that reads its shape).

    Years come as bands (`left_north` / `arrived_south`: [low, high]) or exact years
    (`left_north_year` / `arrived_south_year`); an exact year is a band of one year.
    """
    doc_id = int(doc["id"])
    words: set[str] = set()
    rwords: set[str] = set()  # surface words of restricted text are never kept
    title: dict[str, list[tuple[int, int, int]]] = {}
    summary: dict[str, list[tuple[int, int, int]]] = {}
    analyzer.index_terms(doc.get("title") or "", title, words)
    analyzer.index_terms(doc.get("summary") or "", summary, words)
    names: dict[str, list[tuple[int, int, int]]] = {}
    aliases = [str(doc.get(key) or "") for key in ("pseudonym", "public_name")]
    analyzer.index_terms(" \n".join(a for a in aliases if a), names, words)
    grams: Counter[str] = Counter()
    rgrams: Counter[str] = Counter()
    for head in (doc.get("title") or "", doc.get("summary") or "", *aliases):
        if head and has_hangul(head):
            korean.count_grams(normalize(head), grams)

    text: dict[str, list[tuple[int, int, int]]] = {}
    rtext: dict[str, list[tuple[int, int, int]]] = {}
    segments: list[Segment] = []
    pos = chars = 0
    raw_segments = sorted(
        doc.get("segments") or [], key=lambda s: (float(s.get("start") or 0), s.get("id") or 0)
    )
    for seg in raw_segments:
        body = normalize(seg.get("text") or "")
        restricted = bool(seg.get("restricted"))
        sink, bag = (rtext, rwords) if restricted else (text, words)
        end_pos = analyzer.index_terms(body, sink, bag, pos, chars)
        if has_hangul(body):
            korean.count_grams(body, rgrams if restricted else grams)
        segments.append(
            Segment(
                int(seg["id"]),
                pos,
                end_pos,
                chars,
                float(seg.get("start") or 0.0),
                float(seg.get("end") or 0.0),
                restricted,
                body,
            )
        )
        pos = end_pos + SEGMENT_POSITION_GAP
        chars += len(body) + SEGMENT_CHAR_GAP

    route = _listed(doc.get("route_countries"))
    places = (
        _listed(doc.get("place_names"))
        + _listed(doc.get("origin_province"))
        + _listed(doc.get("origin_place"))
        + route
    )
    tags = _listed(doc.get("tags"))
    langs = _listed(doc.get("languages"))
    left = year_band(doc, "left_north", "left_north_year")
    arrived = year_band(doc, "arrived_south", "arrived_south_year")
    meta = {
        "id": doc_id,
        "ext": str(doc.get("external_id") or ""),
        "title": str(doc.get("title") or ""),
        "stamp": str(doc.get("stamp") or ""),
        "left": left,
        "arrived": arrived,
        "date": date_key(doc.get("interview_date")),
        "dur": _seconds(doc.get("duration")),
        "f": {
            "province": _listed(doc.get("origin_province")),
            "route": route,
            "gender": _listed(doc.get("gender")),
            "age": _listed(doc.get("age_group")),
            "occupation": _listed(doc.get("occupation")),
            "education": _listed(doc.get("education")),
            "residence": _listed(doc.get("residence_region")),
            "tag": tags,
            "language": langs,
        },
    }
    common: dict[str, Any] = {
        "id": str(doc_id),
        "title": title,
        "summary": summary,
        "names": names,
        "place": _place_terms(analyzer, places),
        "route": {slug(r) for r in route} | _place_terms(analyzer, route),
        "tag": {t.lower() for t in tags} | {slug(t) for t in tags},
        "lang": {slug(lang) for lang in langs},
        # year: matches a band that overlaps the range asked for, never a year inside it.
        "year": ({str(y) for y in range(arrived[0], arrived[1] + 1)}
                 if arrived and arrived[1] - arrived[0] <= _MAX_BAND_YEARS else set()),
        "meta": json.dumps(meta, ensure_ascii=False).encode("utf-8"),
    }
    # Spelling suggestions draw on these public words: Latin ones and Korean content words.
    spellable = {w for w in words if (w.isascii() and w.isalpha() and len(w) > 2) or _HANGUL_WORD.fullmatch(w)}
    return PreparedDoc(doc_id, tuple(indexes), common, text, rtext, spellable, segments, grams, rgrams)
