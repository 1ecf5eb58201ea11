"""Realistic names that are on no list, for measuring false alerts.

People and companies come from Faker (many locales and scripts; a benchmark/test extra) with a
fixed seed. Each generated name is kept only if its exact name key (see
:func:`listguard.evaluation.datasets.name_key`: case, accents, punctuation and token order
ignored; other scripts transliterated) is not the name of any loaded list entry, so a match on
one of them is a false alert by construction (modulo transliteration variants of listed names
that the exact key cannot see; examples are reported so they can be checked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from listguard.evaluation.datasets import NameKeyIndex, name_tokens, script_of

#: Locales for people: Latin, Cyrillic, Arabic/Persian, CJK, Hangul, Indic, Greek, Hebrew,
#: Georgian, Armenian, Thai... (Faker provides a person provider for each).
PERSON_LOCALES = (
    "en_US", "en_GB", "en_IN", "en_NG", "en_PK", "de_DE", "fr_FR", "es_ES", "es_MX", "it_IT",
    "pt_BR", "nl_NL", "pl_PL", "cs_CZ", "hu_HU", "ro_RO", "tr_TR", "sv_SE", "fi_FI", "id_ID",
    "vi_VN", "ru_RU", "uk_UA", "bg_BG", "ar_AA", "ar_SA", "fa_IR", "he_IL", "el_GR", "ka_GE",
    "hy_AM", "zh_CN", "zh_TW", "ja_JP", "ko_KR", "hi_IN", "th_TH", "az_AZ", "uz_UZ", "yo_NG",
)
#: Locales with a company provider of their own.
COMPANY_LOCALES = (
    "en_US", "de_DE", "fr_FR", "es_ES", "es_MX", "it_IT", "pt_BR", "nl_NL", "pl_PL", "cs_CZ",
    "hu_HU", "ro_RO", "tr_TR", "sv_SE", "fi_FI", "id_ID", "vi_VN", "ru_RU", "bg_BG", "fa_IR",
    "el_GR", "hy_AM", "zh_CN", "zh_TW", "ja_JP", "ko_KR", "th_TH", "az_AZ", "hr_HR", "sk_SK",
)


@dataclass(frozen=True)
class SyntheticName:
    name: str
    schema: str  # "Person" | "Company"
    locale: str


class FakerUnavailable(RuntimeError):
    pass


def _faker(locale: str, seed: int):
    try:
        from faker import Faker
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise FakerUnavailable(
            "Faker is not installed (pip install Faker; it belongs in the bench/test extras)"
        ) from exc
    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake


def generate_names(
    n_people: int,
    n_companies: int,
    seed: int = 20240603,
    listed: NameKeyIndex | None = None,
    log: Callable[[str], None] = lambda m: None,
) -> tuple[list[SyntheticName], dict[str, int]]:
    """Round-robin over locales; drop duplicates, single-token names and listed names."""
    stats = {"generated": 0, "duplicate": 0, "single_token": 0, "listed": 0}
    out: list[SyntheticName] = []
    seen: set[str] = set()
    for schema, locales, target in (
        ("Person", PERSON_LOCALES, n_people),
        ("Company", COMPANY_LOCALES, n_companies),
    ):
        if target <= 0:
            continue
        fakers = [(loc, _faker(loc, seed + i)) for i, loc in enumerate(locales)]
        made = 0
        attempts = 0
        while made < target and attempts < target * 20:
            loc, fake = fakers[attempts % len(fakers)]
            attempts += 1
            name = fake.name() if schema == "Person" else fake.company()
            name = " ".join(name.split())
            stats["generated"] += 1
            key = " ".join(sorted(name_tokens(name)))
            if key in seen:
                stats["duplicate"] += 1
                continue
            # a one-word "full name" is not a realistic customer record, except in scripts
            # written without spaces between names (Korean 홍정훈, Chinese 梁鑫, Thai...)
            spaced = script_of(name) not in ("HANGUL", "CJK", "JAPANESE", "THAI")
            if schema == "Person" and spaced and len(name.split()) < 2:
                stats["single_token"] += 1
                continue
            if listed is not None and listed.listed(name):
                stats["listed"] += 1
                continue
            seen.add(key)
            out.append(SyntheticName(name, schema, loc))
            made += 1
    return out, stats
