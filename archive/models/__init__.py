"""The archive's persistent model, one module per aggregate."""
from archive.models.media import Recording
from archive.models.narrators import GENDERS, Narrator
from archive.models.grants import REQUEST_STATES, AccessGrant, TestimonyAccessRequest  # noqa: F401  (access grants)
from archive.models.oai import OaiRecord  # noqa: F401  (OAI-PMH record tracking)
from archive.models.preservation import FIXITY_KINDS, FIXITY_RESULTS, FixityCheck  # noqa: F401  (fixity audits)
from archive.models.public_copies import PublicCopy, PublicCopyOutbox  # noqa: F401  (public copies of recordings)
from archive.models.search import SearchOutbox
from archive.models.security import AccessRequest, ClientThrottle  # noqa: F401  (security tables)
from archive.models.statistics import StatisticsTable  # noqa: F401  (admin-edited statistics)
from archive.models.themes import Theme, theme_places, theme_topics  # noqa: F401  (context themes)
from archive.models.testimonies import (
    ACCESS_LEVELS,
    LANGUAGES,
    ROUTE_EVENTS,
    STATUSES,
    Chapter,
    RouteLeg,
    Segment,
    SensitiveTerm,
    Testimony,
    testimony_topics,
)
from archive.models.transcript_drafts import TranscriptDraft  # noqa: F401  (the transcript editor's drafts)
from archive.models.users import ROLES, AuditEntry, User
from archive.models.vocabulary import CATEGORY_SCHEMES, PLACE_KINDS, VOCABULARIES, Category, Place, Topic, VocabularyRedirect

__all__ = [
    "ACCESS_LEVELS", "CATEGORY_SCHEMES", "GENDERS", "LANGUAGES", "PLACE_KINDS", "ROLES", "ROUTE_EVENTS", "STATUSES",
    "AuditEntry", "Category", "Chapter", "Narrator", "Place", "Recording", "RouteLeg", "SearchOutbox", "Segment", "SensitiveTerm",
    "Testimony", "Topic", "User", "VOCABULARIES", "VocabularyRedirect", "testimony_topics",
]
