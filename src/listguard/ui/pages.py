"""The UI's pages: screen, entity, alerts, list versions and diffs, login.

Each page authenticates like the API (an API key, here from a cookie set at ``/ui/login``),
needs the same role as the API endpoints behind it, and reads the same snapshot. Forms that
change something (decisions) carry a token bound to the caller's key (CSRF) and the cookie is
``SameSite=Strict``.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import time
import unicodedata
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from listguard import __version__
from listguard.api import alert_service
from listguard.api.context import ctx, default_threshold, resolve_dataset, screen
from listguard.api.security import COOKIE, ApiError, Principal
from listguard.api.views import entity_detail, version_diff
from listguard.api.yente import QueryProblem, example, explanation_dict, query_fields
from listguard.listdates import published_label
from listguard.querydates import parse_birth_dates
from listguard.ui import HERE

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.auto_reload = False
templates.env.globals["published_label"] = published_label  # "2026-02-27" or "unknown (...)"


def warm_templates() -> None:
    """Compile every template now, so no analyst's first page pays for it."""
    for name in templates.env.list_templates():
        if name.endswith(".html"):
            templates.env.get_template(name)


# ------------------------------------------------------------------------------ helpers
_SCRIPTS = (
    "LATIN", "CYRILLIC", "ARABIC", "HANGUL", "CJK", "HIRAGANA", "KATAKANA", "GREEK",
    "GEORGIAN", "ARMENIAN", "HEBREW", "KHMER", "MYANMAR", "THAI", "DEVANAGARI", "BENGALI",
    "TAMIL", "ETHIOPIC", "SINHALA", "LAO", "TIBETAN", "MONGOLIAN", "SYRIAC", "THAANA",
)
_SCRIPT_LABEL = {"CJK": "Han", "HANGUL": "Hangul", "KATAKANA": "Katakana", "HIRAGANA": "Hiragana"}


def script_of(text: str) -> str:
    """The writing system(s) of a name, so analysts see at a glance which names are
    transliterations and which are the original script."""
    seen: list[str] = []
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        for script in _SCRIPTS:
            if name.startswith(script):
                label = _SCRIPT_LABEL.get(script, script.title())
                if label not in seen:
                    seen.append(label)
                break
    return " + ".join(seen) or "-"


def csrf_token(request: Request, principal: Principal) -> str:
    secret = ctx(request).config.secret.encode()
    return hmac.new(secret, (principal.key_id or "local").encode(), hashlib.sha256).hexdigest()[:32]


def check_csrf(request: Request, principal: Principal, token: str) -> None:
    if not hmac.compare_digest(csrf_token(request, principal), token or ""):
        raise ApiError(403, "form expired or sent from another site (CSRF check failed); reload the page")


def render(request: Request, template: str, principal: Principal | None, http_status: int = 200, **data: Any) -> HTMLResponse:
    data.update(
        request=request,
        principal=principal,
        version=__version__,
        csrf=csrf_token(request, principal) if principal else "",
        keys_required=ctx(request).auth.keys_required(),
    )
    return templates.TemplateResponse(request, template, data, status_code=http_status)


class _Redirect(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def ui_principal(request: Request, role: str) -> Principal:
    """The caller, or a redirect to the login page / an error page (raised)."""
    auth = ctx(request).auth
    try:
        principal = auth.identify(request)
    except ApiError as exc:
        raise _Redirect(render(request, "error.html", None, exc.status, message=exc.detail)) from exc
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise _Redirect(RedirectResponse(f"/ui/login?next={quote(target)}", status_code=303))
    if not principal.allows(role):
        raise _Redirect(
            render(request, "error.html", principal, 403,
                   message=f"Your key's role is {principal.role}; this page needs {role}.")
        )
    return principal


def page(role: str):  # type: ignore[no-untyped-def]
    """Decorator: authenticate for ``role`` and turn redirects/errors into responses."""

    def wrap(fn):  # type: ignore[no-untyped-def]
        import functools

        @functools.wraps(fn)
        def inner(request: Request, *args: Any, **kwargs: Any) -> Response:
            try:
                principal = ui_principal(request, role)
                return fn(request, principal, *args, **kwargs)  # type: ignore[no-any-return]
            except _Redirect as r:
                return r.response
            except ApiError as exc:
                return render(request, "error.html", None, exc.status, message=exc.detail)

        # FastAPI reads the parameters from the signature: hide ``principal``, which we supply.
        sig = inspect.signature(fn)
        inner.__signature__ = sig.replace(  # type: ignore[attr-defined]
            parameters=[p for p in sig.parameters.values() if p.name != "principal"]
        )
        return inner

    return wrap


# --------------------------------------------------------------------------------- pages
@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/ui/screen", status_code=307)


@router.get("/ui")
def ui_root() -> RedirectResponse:
    return RedirectResponse("/ui/screen", status_code=307)


@router.get("/ui/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/ui/screen", error: str = "") -> Response:
    if not ctx(request).auth.keys_required():
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", None, next=_safe_next(next), error=error)


def _safe_next(value: str) -> str:
    """Only same-site paths: a login link must not bounce the analyst to another site."""
    return value if value.startswith("/") and not value.startswith("//") else "/ui/screen"


@router.post("/ui/login")
def login(request: Request, token: str = Form(...), next: str = Form("/ui/screen")) -> Response:
    key = ctx(request).auth.cache.lookup(token.strip())
    if key is None:
        return render(request, "login.html", None, 401, next=_safe_next(next),
                      error="That key is not valid (unknown, revoked or expired).")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE, token.strip(), httponly=True, samesite="strict",
        secure=request.url.scheme == "https", max_age=12 * 3600, path="/",
    )
    return response


@router.post("/ui/logout")
def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/ui/screen", response_class=HTMLResponse)
@page("screener")
def screen_page(
    request: Request,
    principal: Principal,
    name: str = Query(""),
    schema: str = Query(""),
    birth_date: str = Query(""),
    country: str = Query(""),
    identifier: str = Query(""),
    dataset: str = Query("default"),
    limit: int = Query(10),
) -> Response:
    service = ctx(request).service
    form = {"name": name, "schema": schema, "birth_date": birth_date, "country": country,
            "identifier": identifier, "dataset": dataset, "limit": limit}
    hits: list[dict[str, Any]] = []
    error = ""
    took = None
    searched = bool(name.strip() or identifier.strip())
    warnings = parse_birth_dates([birth_date])[1] if searched and birth_date.strip() else []
    snap = service.snapshot if service.ready else None
    if searched and snap is not None:
        started = time.perf_counter()
        props: dict[str, list[str]] = {"name": [name] if name.strip() else []}
        if birth_date.strip():
            props["birthDate"] = [birth_date.strip()]
        if country.strip():
            props["country"] = [c.strip() for c in country.split(",") if c.strip()]
        if identifier.strip():
            props["idNumber"] = [identifier.strip()]
        try:
            fields = query_fields(example(schema or "Thing", props))
            datasets = resolve_dataset(snap, dataset or "default")
            threshold = default_threshold()
            for h in screen(snap, fields, datasets, max(1, min(limit, 50)), threshold):
                hits.append(
                    {
                        "id": h.entity_id,
                        "caption": h.caption,
                        "schema": h.schema,
                        "score": float(h.score),
                        "match": float(h.score) >= threshold,
                        "matched_name": h.matched_name,
                        "datasets": list(h.datasets),
                        "explanation": explanation_dict(h),
                    }
                )
        except (QueryProblem, ApiError) as exc:
            error = exc.detail if isinstance(exc, ApiError) else str(exc)
        took = (time.perf_counter() - started) * 1000
    return render(
        request, "screen.html", principal, form=form, hits=hits, error=error, took=took, warnings=warnings,
        searched=searched, snapshot=snap, threshold=default_threshold(),
        datasets=sorted(snap.datasets) if snap else [],
    )


@router.get("/ui/entities/{entity_id}", response_class=HTMLResponse)
@page("screener")
def entity_page(request: Request, principal: Principal, entity_id: str) -> Response:
    c = ctx(request)
    if not c.service.ready:
        raise ApiError(503, "the screening index is still being built; reload in a few seconds")
    detail = entity_detail(c.service.snapshot, c.store, entity_id)
    if detail is None:
        return render(request, "error.html", principal, 404, message=f"No entity {entity_id} in any loaded version.")
    names = [dict(n, script=script_of(n["name"])) for n in detail["names"]]
    name_props = {"name", "alias", "weakAlias", "previousName"}
    other = {k: v for k, v in detail["properties"].items() if k not in name_props}
    return render(request, "entity.html", principal, e=detail, names=names, other=other)


@router.get("/ui/versions", response_class=HTMLResponse)
@page("screener")
def versions_page(request: Request, principal: Principal) -> Response:
    store = ctx(request).store
    by_dataset: dict[str, list[Any]] = {}
    for v in store.versions():
        by_dataset.setdefault(v.dataset, []).append(v)
    for vs in by_dataset.values():
        vs.reverse()
    return render(request, "versions.html", principal, by_dataset=by_dataset)


@router.get("/ui/versions/{dataset}/diff", response_class=HTMLResponse)
@page("screener")
def diff_page(
    request: Request,
    principal: Principal,
    dataset: str,
    old: int | None = Query(None),
    new: int | None = Query(None),
    show: int = Query(100),
) -> Response:
    c = ctx(request)
    try:
        d = version_diff(c.diffs, c.store, dataset, old, new)
    except KeyError as exc:
        return render(request, "error.html", principal, 404, message=str(exc.args[0]))
    show = max(10, min(show, 100_000))
    return render(request, "diff.html", principal, d=d, show=show, dataset=dataset,
                  more=urlencode({"old": d.old.seq, "new": d.new.seq, "show": show * 10}))


@router.get("/ui/docs")
def docs_link() -> RedirectResponse:
    return RedirectResponse("/docs", status_code=307)


# -------------------------------------------------------------------------------- alerts
@router.get("/ui/alerts", response_class=HTMLResponse)
@page("analyst")
def alerts_page(
    request: Request,
    principal: Principal,
    status: str = Query("open"),
    portfolio: str = Query(""),
    cursor: int = Query(0),
    error: str = Query(""),
) -> Response:
    alerts = alert_service.list_alerts(request, status, portfolio or None, 500)
    counts = alert_service.alert_counts(request, portfolio or None)
    history = alert_service.decision_history(request, 50)
    return render(
        request, "alerts.html", principal, alerts=alerts, counts=counts, status=status,
        portfolio=portfolio, cursor=min(max(cursor, 0), max(len(alerts) - 1, 0)), history=history,
        statuses=alert_service.STATUSES, error=error,
    )


@router.post("/ui/alerts/{alert_id}/decide")
@page("analyst")
def decide_form(
    request: Request,
    principal: Principal,
    alert_id: int,
    decision: str = Form(...),
    reason: str = Form(""),
    csrf: str = Form(""),
    cursor: int = Form(0),
    status: str = Form("open"),
    portfolio: str = Form(""),
) -> Response:
    check_csrf(request, principal, csrf)
    back = {"status": status, "cursor": cursor}
    if portfolio:
        back["portfolio"] = portfolio
    try:
        alert_service.decide(request, alert_id, decision, reason, principal)
    except ApiError as exc:
        back["error"] = exc.detail
    return RedirectResponse(f"/ui/alerts?{urlencode(back)}", status_code=303)


# Registered last: only paths no page above matched. A person who mistypes a UI address gets
# a page with the navigation, not the API's JSON 404.
@router.get("/ui/{path:path}", response_class=HTMLResponse)
def page_not_found(request: Request, path: str) -> Response:
    return render(
        request, "error.html", None, 404,
        message=f"There is no page /ui/{path}. Use the links above, or start at the screening page.",
    )
