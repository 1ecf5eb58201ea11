"""The yente (OpenSanctions) matching API shape, so existing clients work unchanged.

yente's ``POST /match/{dataset}`` takes ``{"queries": {id: EntityExample}}`` where an example
is an FtM-style ``{"schema": ..., "properties": {prop: [values]}}``, and answers
``{"responses": {id: {"status", "results", "total", "query"}}, "matcher", "limit"}``. Each
result is an entity (``id, caption, schema, properties, datasets, referents, target,
first_seen, last_seen, last_change``) plus ``score``, ``match`` and ``features`` (name ->
number). We add ``explanation``: the matcher's readable account of the score, which yente
clients ignore and analysts read.

This module turns examples into matcher queries and hits into results; it knows nothing
about HTTP.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol, Union

from pydantic import BaseModel, ConfigDict, Field

from listguard.model import ID_PROPS, NAME_PROPS, Entity
from listguard.querydates import parse_birth_dates

#: Properties whose values are names to screen.
QUERY_NAME_PROPS = NAME_PROPS
#: Name parts a client may send instead of (or besides) a full name.
QUERY_PART_PROPS = ("title", "firstName", "secondName", "middleName", "fatherName", "lastName")
#: Properties that carry a country (ISO code or name).
QUERY_COUNTRY_PROPS = ("nationality", "citizenship", "country", "jurisdiction", "mainCountry", "birthCountry")
QUERY_DATE_PROPS = ("birthDate", "incorporationDate")
QUERY_ID_PROPS = ID_PROPS + ("address", "publicKey")  # publicKey: a crypto wallet address

#: FtM schemata a query may name, and what the matcher screens them as. Abstract parents
#: ("Thing", "Asset") widen the search to every type; a public body is an organisation.
KNOWN_SCHEMATA = {
    "Person": "Person",
    "Organization": "Organization",
    "Company": "Company",
    "LegalEntity": "LegalEntity",
    "Vessel": "Vessel",
    "Airplane": "Airplane",
    "PublicBody": "Organization",
    "Thing": None,
    "Asset": None,
}


class EntityExample(BaseModel):
    """One query: an example entity (yente's ``EntityExample``)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    id: str | None = Field(None, description="Optional id of the example (echoed back).")
    schema_: str = Field(
        alias="schema",
        description="FtM schema (required, as in yente): Person, Organization, Company, LegalEntity, Vessel, Airplane, Thing.",
        examples=["Person"],
    )
    properties: dict[str, Union[list[Any], str]] = Field(
        default_factory=dict,
        description=(
            "FtM properties. Used for matching: name (and alias, firstName/lastName...), "
            "birthDate, nationality/citizenship/country/jurisdiction, and identifiers "
            "(passportNumber, idNumber, taxNumber, registrationNumber, imoNumber, swiftBic...)."
        ),
        examples=[{"name": ["Jong Song Hwa"], "birthDate": ["1970"], "nationality": ["kp"]}],
    )


class MatchRequest(BaseModel):
    """A batch of queries (yente's ``EntityMatchQuery``)."""

    queries: dict[str, EntityExample] = Field(
        description="Query id -> example entity. Ids are echoed as keys of `responses`.",
        examples=[
            {
                "q1": {
                    "schema": "Person",
                    "properties": {"name": ["Jong Song Hwa"], "birthDate": ["1970"], "nationality": ["kp"]},
                }
            }
        ],
    )
    weights: dict[str, float] | None = Field(
        None,
        description="yente's feature weights: listguard's matcher takes none, so a non-empty object is refused (400).",
    )
    config: dict[str, Any] | None = Field(
        None, description="yente's algorithm settings: listguard's matcher has none, so a non-empty object is refused (400)."
    )


class TotalSpec(BaseModel):
    value: int
    relation: str = "eq"


class ScoredEntity(BaseModel):
    id: str
    caption: str
    schema_: str = Field(alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str]
    referents: list[str] = []
    target: bool = True
    first_seen: str | None = None
    last_seen: str | None = None
    last_change: str | None = None
    score: float
    match: bool
    features: dict[str, float]
    explanations: dict[str, dict[str, Any]] = {}
    explanation: dict[str, Any] | None = None
    token: str | None = None


class EntityMatches(BaseModel):
    status: int = 200
    results: list[ScoredEntity]
    total: TotalSpec
    query: dict[str, Any]


class MatchResponse(BaseModel):
    responses: dict[str, EntityMatches]
    matcher: dict[str, Any]
    limit: int
    limits: dict[str, Any]


def _values(props: dict[str, Any], name: str) -> list[str]:
    raw = props.get(name)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raw = [raw]
    out = []
    for value in raw:
        if value is None:
            continue
        text = " ".join(str(value).split())
        if text:
            out.append(text)
    return out


#: FtM property types whose values FtM may fail to read although listguard's matcher reads
#: them (a date written 05.02.1970): kept as given rather than dropped.
_KEEP_UNCLEANED = frozenset({"date"})


@lru_cache(maxsize=256)
def _ftm_property(schema: str, prop: str) -> Any:
    """The FtM property ``prop`` of ``schema``, or of a schema that is a ``schema`` (a
    ``Thing`` query with a ``birthDate`` is typed by ``Person:birthDate``), or None."""
    from followthemoney import model

    obj = model.get(schema)
    if obj is None:
        return None
    found = obj.get(prop)
    if found is not None:
        return found
    for other in model.schemata.values():
        candidate = other.properties.get(prop)
        if candidate is not None and other.is_a(obj.name):
            return candidate
    return None


@lru_cache(maxsize=65536)
def _clean_value(type_name: str, value: str) -> str | None:
    from followthemoney import registry

    return registry[type_name].clean(value, fuzzy=True)  # type: ignore[no-any-return]


def clean_properties(schema: str, properties: Any) -> tuple[dict[str, list[str]], list[str]]:
    """A query's properties normalised with FollowTheMoney's types, as yente does before
    matching (``"country": "Russia"`` -> ``["ru"]``, names trimmed, invalid values dropped),
    and notes on what was dropped. The cleaned properties are what is matched and echoed."""
    cleaned: dict[str, list[str]] = {}
    notes: list[str] = []
    for name in properties:
        values = _values(properties, name)
        prop = _ftm_property(schema, name)
        if prop is None:
            if name in QUERY_ID_PROPS:  # listguard reads it (publicKey: a wallet address)
                if values:
                    cleaned[name] = values
                continue
            notes.append(f"property {name!r} is not a {schema} property: ignored")
            continue
        out: list[str] = []
        for value in values:
            clean = _clean_value(prop.type.name, value)
            if clean is None:
                if prop.type.name not in _KEEP_UNCLEANED:
                    notes.append(f"{name}: {value!r} is not a valid {prop.type.name}: ignored")
                    continue
                clean = value
            if clean not in out:
                out.append(clean)
        if out:
            cleaned[name] = out
    return cleaned, notes


def example(schema: str, properties: dict[str, list[str]]) -> EntityExample:
    """An :class:`EntityExample` built in code (search, reconciliation, the UI form)."""
    return EntityExample.model_validate({"schema": schema, "properties": properties})


class QueryProblem(ValueError):
    """A query the matcher cannot use (unknown schema, nothing to match on)."""


class ExampleLike(Protocol):
    """What :func:`query_fields` reads of an example (an :class:`EntityExample`, or the fast
    lane's lighter equivalent)."""

    @property
    def schema_(self) -> str: ...

    @property
    def properties(self) -> Any: ...


def query_fields(example: ExampleLike) -> dict[str, Any]:
    """The matcher's query fields from one example: names, schema, dates, countries, ids."""
    props = example.properties
    names: list[str] = []
    # (``prop in props`` first: a query names 1-3 of the ~35 properties looked at here)
    for prop in QUERY_NAME_PROPS:
        if prop in props:
            names.extend(_values(props, prop))
    parts = [" ".join(_values(props, p)) for p in QUERY_PART_PROPS if p != "title" and p in props]
    joined = " ".join(p for p in parts if p)
    if joined and joined not in names:
        names.append(joined)
    if example.schema_ not in KNOWN_SCHEMATA:
        raise QueryProblem(
            f"unknown schema {example.schema_!r}; use one of {', '.join(KNOWN_SCHEMATA)}"
        )
    schema = KNOWN_SCHEMATA[example.schema_]
    countries: list[str] = []
    for prop in QUERY_COUNTRY_PROPS:
        if prop in props:
            countries.extend(c.lower() if len(c) <= 3 else c for c in _values(props, prop))
    dates: list[str] = []
    for prop in QUERY_DATE_PROPS:
        if prop in props:
            dates.extend(_values(props, prop))
    dates = parse_birth_dates(dates)[0]  # 05.02.1970, 5 Feb 1970...; query_warnings says what was not read
    identifiers: list[str] = []
    for prop in QUERY_ID_PROPS:
        if prop != "address" and prop in props:
            identifiers.extend(_values(props, prop))
    if not names and not identifiers:
        raise QueryProblem("no name (or identifier) to match on: give properties.name")
    return {
        "names": names,
        "schema": schema,
        "birth_dates": dates,
        "countries": countries,
        "identifiers": identifiers,
    }


def query_warnings(example: ExampleLike) -> list[str]:
    """What the matcher could not use of a query as given (unreadable or ambiguous dates)."""
    props = example.properties
    dates: list[str] = []
    for prop in QUERY_DATE_PROPS:
        if prop in props:
            dates.extend(_values(props, prop))
    return parse_birth_dates(dates)[1]


def explanation_dict(hit: Any) -> dict[str, Any]:
    """The hit's explanation as JSON data (the matcher gives an object with ``to_dict``)."""
    explanation = getattr(hit, "explanation", None)
    if explanation is None:
        return {}
    if isinstance(explanation, dict):
        return explanation
    return explanation.to_dict()  # type: ignore[no-any-return]


def features(hit: Any, explanation: dict[str, Any] | None = None) -> dict[str, float]:
    """yente-style ``features``: feature name -> number, from the hit's explanation."""
    out: dict[str, float] = {}
    if explanation is None:
        explanation = explanation_dict(hit)
    name = explanation.get("name") if isinstance(explanation, dict) else None
    if isinstance(name, dict) and isinstance(name.get("score"), (int, float)):
        out["name_score"] = float(name["score"])
    for feat in (explanation.get("features") or []) if isinstance(explanation, dict) else []:
        if not isinstance(feat, dict) or "feature" not in feat:
            continue
        effect = feat.get("effect")
        if isinstance(effect, bool):
            out[str(feat["feature"])] = 1.0 if effect else 0.0
        elif isinstance(effect, (int, float)):
            out[str(feat["feature"])] = float(effect)
    return out


def explanations(explanation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """yente 5's ``explanations``: feature name -> ``{score, detail, query, candidate}``
    (nomenklatura's ``FeatureResult``), from the same explanation as ``features``."""
    out: dict[str, dict[str, Any]] = {}
    name = explanation.get("name")
    if isinstance(name, dict) and isinstance(name.get("score"), (int, float)):
        out["name_score"] = {
            "score": float(name["score"]),
            "detail": f"{name.get('query')!s} ~ {name.get('matched')!s} ({name.get('kind') or 'name'})",
            "query": name.get("query"),
            "candidate": name.get("matched"),
        }
    for feat in explanation.get("features") or []:
        if not isinstance(feat, dict) or "feature" not in feat:
            continue
        effect = feat.get("effect")
        if isinstance(effect, bool):
            effect = 1.0 if effect else 0.0
        if isinstance(effect, (int, float)):
            detail = feat.get("detail")
            out[str(feat["feature"])] = {
                "score": float(effect),
                "detail": str(detail) if detail is not None else None,
                "query": None,
                "candidate": None,
            }
    return out


def scored_entity(
    hit: Any,
    entity: Entity | None,
    threshold: float,
    *,
    properties: Any = None,
    dates: tuple[str | None, str | None, str | None] = (None, None, None),
) -> dict[str, Any]:
    """One yente result for a matcher hit. ``properties``, when given, stands for the
    entity's properties (e.g. already serialised JSON, see ``routes.entity_properties``)."""
    score = round(float(hit.score), 4)
    explanation = explanation_dict(hit)
    if properties is None:
        properties = entity.properties if entity is not None else {}
    return {
        "id": hit.entity_id,
        "caption": hit.caption,
        "schema": hit.schema,
        "properties": properties,
        "datasets": list(hit.datasets),
        "referents": [],
        "target": True,
        "first_seen": dates[0],
        "last_seen": dates[1],
        "last_change": dates[2],
        "score": score,
        "match": score >= threshold,
        "features": features(hit, explanation),
        "explanations": explanations(explanation),
        "explanation": explanation,
        "token": None,
    }


def entity_response(
    entity: Entity,
    score: float | None = None,
    *,
    properties: Any = None,
    dates: tuple[str | None, str | None, str | None] = (None, None, None),
) -> dict[str, Any]:
    """An entity in yente's ``EntityResponse`` shape (for search and the entity endpoint).
    ``properties``, when given, stands for the entity's (e.g. already serialised JSON)."""
    data: dict[str, Any] = {
        "id": entity.id,
        "caption": entity.caption,
        "schema": entity.schema,
        "properties": entity.properties if properties is None else properties,
        "datasets": [entity.dataset],
        "referents": [],
        "target": True,
        "first_seen": dates[0],
        "last_seen": dates[1],
        "last_change": dates[2],
    }
    if score is not None:
        data["score"] = round(score, 4)
    return data
