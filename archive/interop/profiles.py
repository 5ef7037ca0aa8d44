"""A narrator's profile in plain English for the exchange formats (IIIF, OAI-PMH, citations, CSV).

Reads only a `ProfileView` (archive/policy/protected.py), so every format shows what the audience's
profile shows: the birth decade, the home province and five-year bands of the years of leaving and
arriving, unless the narrator consented to a detailed profile and a curator chose the exact field.
Formats meant for other software stay in English, like the rest of their metadata.
"""
from __future__ import annotations

from archive.policy.protected import ProfileView


def home(profile: ProfileView) -> str:
    """Where the narrator comes from as shown: "North Hamgyong", or "Hoeryong, North Hamgyong" when exact."""
    province = profile.home_province.name_en if profile.home_province is not None else ""
    place = profile.home_place.name_en if profile.home_place is not None else ""
    if place and province and place != province:
        return f"{place}, {province}"
    return place or province


def facts(profile: ProfileView) -> list[tuple[str, str]]:
    """(English label, shown value) pairs, leaving out what is not known."""
    pairs = [
        ("Born", profile.birth.label if profile.birth else ""),
        ("From", home(profile)),
        ("Left North Korea", profile.left.label if profile.left else ""),
        ("Arrived in South Korea", profile.arrived.label if profile.arrived else ""),
    ]
    return [(label, value) for label, value in pairs if value]


def sentence(profile: ProfileView) -> str:
    """One line for descriptions and notes ("Narrator: born 1970s; from North Hamgyong; ..."); "" if nothing is known."""
    shown = facts(profile)
    if not shown:
        return ""
    return "Narrator: " + "; ".join(f"{label[0].lower()}{label[1:]} {value}" for label, value in shown) + "."
