"""The expert review web UI: ``/review/…`` server-rendered pages (Jinja2) with plain JS and CSS served locally.

Log in with an API key of the expert role; the browser then carries a signed, HttpOnly, SameSite=Strict session
cookie. Other roles get a 403 page; no session sends the browser to the login page. Pages read through the same
service functions as the JSON API (``routers/review.py``); every change goes through that API with the CSRF token.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

import smartinspect.review
from smartinspect.api.cases import CASE_SOURCES
from smartinspect.api.deps import PathInt, SessionDep, authenticate, public
from smartinspect.api.errors import ApiError
from smartinspect.api.review_access import (
    REVIEW_ROLES,
    NotLoggedIn,
    Reviewer,
    resolve_reviewer,
    session_secret,
    web_session_key,
)
from smartinspect.api.review_views import case_detail
from smartinspect.api.routers.clearance.common import actor_of
from smartinspect.review.cases import CaseNotFound, get_case_summary, get_instruction_for_case, list_cases
from smartinspect.review.decisions import find_decision
from smartinspect.review.evidence import load_evidence
from smartinspect.review.types import CaseQuery, CaseType, QueueSort, QueueState
from smartinspect.review.websession import COOKIE_NAME, csrf_matches, issue_session
from smartinspect.storage.models import Scan
from smartinspect.storage.websessions import end_session
from smartinspect.xray.viewer import raw_pixels, raw_pixels_cached

log = logging.getLogger(__name__)

WEB_DIR = Path(smartinspect.review.__file__).parent / "web"
STATIC_DIR = WEB_DIR / "static"
_STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# name -> (bytes, short hash): read once; the hash versions the URL so browsers may cache for a year
_STATIC = {p.name: (p.read_bytes(), hashlib.sha256(p.read_bytes()).hexdigest()[:12])
           for p in sorted(STATIC_DIR.iterdir()) if p.suffix in _STATIC_TYPES}

router = APIRouter(prefix="/review", tags=["review UI"], include_in_schema=False)
_PAGE = {"openapi_extra": {"x-roles": [r.value for r in REVIEW_ROLES]}}  # checked in the route (cookie or key)


def static_url(name: str) -> str:
    return f"/review/static/{name}?v={_STATIC[name][1]}"


templates = Jinja2Templates(directory=WEB_DIR / "templates")
templates.env.globals["static_url"] = static_url


def render(request: Request, template: str, context: dict[str, Any], *, status_code: int = 200) -> Response:
    reviewer: Reviewer | None = context.get("reviewer")
    base = {"expert": reviewer.key if reviewer else None, "csrf_token": reviewer.csrf_token if reviewer else None}
    response = templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def error_page(request: Request, status_code: int, message: str, reviewer: Reviewer | None = None) -> Response:
    titles = {400: "Bad request", 401: "Not logged in", 403: "Forbidden", 404: "Not found", 409: "Conflict",
              422: "Not valid"}
    context = {"status": status_code, "title": titles.get(status_code, "Error"), "message": message,
               "reviewer": reviewer}
    return render(request, "error.html", context, status_code=status_code)


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/review/login?next={quote(target, safe='')}", status_code=303)


async def page_reviewer(request: Request) -> Reviewer | Response:
    """The expert behind a page request, or the response to send instead (login redirect, 401/403 page)."""
    try:
        return await resolve_reviewer(request)
    except NotLoggedIn:
        return _login_redirect(request)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)


def _safe_next(next_url: str | None) -> str:
    # Only our own pages: an absolute or protocol-relative URL here would be an open redirect.
    if next_url and next_url.startswith("/review/") and not next_url.startswith("//"):
        return next_url
    return "/review/queue"


@router.get("", **public())
@router.get("/", **public())
def review_home() -> RedirectResponse:
    return RedirectResponse("/review/queue", status_code=303)


@router.get("/static/{name}", **public())
def static_file(name: str) -> Response:
    if name not in _STATIC:
        raise ApiError(404, "not_found", f"no static file {name!r}")
    body, digest = _STATIC[name]
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{digest}"'}
    return Response(body, media_type=_STATIC_TYPES[Path(name).suffix], headers=headers)


@router.get("/login", **public())
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next_url": _safe_next(next), "error": None})


@router.post("/login", **public())
def login(
    request: Request,
    api_key: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the key: experts get a session cookie and go on; others see why not (401 or 403).

    A login posted from another site is refused (login CSRF: it would plant the attacker's session): browsers send
    ``Origin`` (or ``Sec-Fetch-Site``) with every form POST, and it must be this server."""
    next_url = _safe_next(next)
    if not same_origin(request):
        return error_page(request, 403, "The login form must be posted from this site (Origin check failed).")
    if not api_key.strip():
        return render(request, "login.html", {"next_url": next_url, "error": "Enter an API key."}, status_code=400)
    key = authenticate(request, api_key)
    if key is None:
        context = {"next_url": next_url, "error": "That API key is unknown, malformed or revoked."}
        return render(request, "login.html", context, status_code=401)
    if key.role not in REVIEW_ROLES:
        message = (f"An API key of the {key.role} role cannot open the expert review UI; "
                   f"only the expert role can.")
        return error_page(request, 403, message)
    settings = request.app.state.settings
    cookie, _ = issue_session(session_secret(request), key_id=key.id)
    response = RedirectResponse(next_url, status_code=303)
    secure = settings.session_cookie_secure
    response.set_cookie(COOKIE_NAME, cookie, max_age=settings.session_max_age_s, httponly=True, samesite="strict",
                        secure=settings.environment == "production" if secure is None else secure, path="/")
    return response


@router.post("/logout", **public())
async def logout(request: Request) -> Response:
    """End the session, server-side too: the old cookie is refused from now on, even if replayed (the form
    carries the CSRF token, so another site cannot log an expert out)."""
    found = await run_in_threadpool(web_session_key, request)
    if found is not None:
        form = await request.form()
        token = form.get("csrf_token")
        if not csrf_matches(found[1], token if isinstance(token, str) else None):
            return error_page(request, 403, "Log out needs the session's CSRF token; reload the page and retry.")
        await run_in_threadpool(_end_session, request, found[0].id, found[1].csrf_token)
    response = RedirectResponse("/review/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


def _end_session(request: Request, api_key_id: int, csrf_token: str) -> None:
    with request.app.state.session_factory() as db:
        end_session(db, csrf_token=csrf_token, api_key_id=api_key_id,
                    max_age_s=request.app.state.settings.session_max_age_s)
        db.commit()


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site. ``Sec-Fetch-Site`` decides when the
    browser sends it (all current ones do); otherwise the host of ``Origin`` (or ``Referer``) must be this
    request's ``Host`` (hosts only: behind a TLS proxy the scheme seen here is not the browser's). Clients that
    send none of these (scripts) are not browsers, which carry no ambient credential to abuse."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True
    return urlsplit(source).netloc.lower() == request.headers.get("host", "").lower()


AGE_CHOICES = (("", "any"), ("lt1h", "under 1 h"), ("lt24h", "under 24 h"), ("gt24h", "over 24 h"),
               ("gt72h", "over 3 days"))
_AGE_BOUNDS = {"lt1h": (None, 3600.0), "lt24h": (None, 86400.0), "gt24h": (86400.0, None), "gt72h": (259200.0, None)}
STATE_CHOICES = (("open", "open cases"), ("mine", "held by me"), ("decided", "decided"), ("all", "all"))
SORT_CHOICES = (("priority", "most urgent first"), ("oldest", "oldest first"), ("newest", "newest first"),
                ("port", "by port"))


def _choice(value: str | None, choices: tuple[tuple[str, str], ...], default: str) -> str:
    return value if value in {v for v, _ in choices} else default


@router.get("/queue", **_PAGE)
async def queue_page(
    request: Request,
    db: SessionDep,
    type: str | None = None,
    port: str | None = None,
    age: str | None = None,
    max_priority: str | None = None,
    state: str | None = None,
    sort: str | None = None,
) -> Response:
    """The case queue with filters (type, port, age, priority), sorting, and claim/release buttons."""
    reviewer = await page_reviewer(request)
    if isinstance(reviewer, Response):
        return reviewer
    shown = {"type": type if type in {t.value for t in CaseType} else "", "port": (port or "")[:8],
             "age": _choice(age, AGE_CHOICES, ""), "state": _choice(state, STATE_CHOICES, "open"),
             "sort": _choice(sort, SORT_CHOICES, "priority"),
             "max_priority": max_priority if max_priority in {"1", "2", "3", "4", "5"} else ""}
    min_age, max_age = _AGE_BOUNDS.get(shown["age"], (None, None))
    query = CaseQuery(type=CaseType(shown["type"]) if shown["type"] else None, port=shown["port"] or None,
                      min_age_s=min_age, max_age_s=max_age,
                      max_priority=int(shown["max_priority"]) if shown["max_priority"] else None,
                      state=QueueState(shown["state"]), sort=QueueSort(shown["sort"]), limit=200)
    page = await run_in_threadpool(list_cases, db, query=query, me=actor_of(reviewer.key))
    await run_in_threadpool(_warm_scan_pixels, request.app, db, page.items)
    context = {"reviewer": reviewer, "page": page, "query": shown, "ports": page.ports,
               "case_types": [t.value for t in CaseType], "age_choices": AGE_CHOICES, "state_choices": STATE_CHOICES,
               "sort_choices": SORT_CHOICES, "priorities": ["1", "2", "3", "4", "5"]}
    return render(request, "queue.html", context)


WARM_LIMIT = 20  # open scan cases on the queue page whose viewer data is prepared ahead


def _warm_scan_pixels(app: Any, db: Any, items: list[Any]) -> None:
    """Prepare the viewer's compressed samples of the listed open scan cases in the background, so opening a case
    does not wait for decoding and compressing the scan (one worker; already cached ones are skipped)."""
    from smartinspect.api.routers.review import cache_dir  # the JSON router imports this module

    ids = [c.source_id for c in items if c.type == CaseType.scan and c.open][:WARM_LIMIT]
    if not ids:
        return
    where = cache_dir(app.state.settings)
    scans = [s for s in db.scalars(select(Scan).where(Scan.id.in_(ids))) if not raw_pixels_cached(s, cache_dir=where)]
    if not scans:
        return
    warmer = getattr(app.state, "review_warmer", None)
    if warmer is None:
        warmer = app.state.review_warmer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="review-warm")
    for scan in scans:
        warmer.submit(_warm_one, app.state.blob_store, scan, where)


def _warm_one(blobs: Any, scan: Scan, where: Path) -> None:
    try:
        raw_pixels(blobs, scan, cache_dir=where)
    except Exception:  # the request path builds it again and reports the error there
        log.warning("could not prepare viewer pixels of scan %s", scan.id, exc_info=True)


def _case_context(db, case_id: int, me: str, classes: tuple[str, ...]) -> dict[str, Any]:
    instruction = get_instruction_for_case(db, case_id=case_id)
    summary = get_case_summary(db, case_id=case_id, me=me)
    evidence = load_evidence(db, instruction, sources=CASE_SOURCES)
    detail = case_detail(summary, evidence, find_decision(db, case_id=case_id), classes=classes)
    case = {**detail.case.model_dump(), "age_text": summary.age_text, "scan": detail.scan, "wood": detail.wood,
            "document": detail.document, "declaration": detail.declaration,
            "related_documents": detail.related_documents,
            "decision": detail.decision.model_dump() if detail.decision else None,
            **{f"{part}_note": note for part, note in detail.notes.items()}}
    return {"case": case, "case_json": {"id": case_id, "scan": detail.scan}}


@router.get("/cases/{case_id}", **_PAGE)
async def case_page(case_id: PathInt, request: Request, db: SessionDep) -> Response:
    """One case: the evidence (scan viewer, wood, document), the declaration and documents, the decision form."""
    reviewer = await page_reviewer(request)
    if isinstance(reviewer, Response):
        return reviewer
    from smartinspect.api.routers.review import xray_classes  # the JSON router imports this module

    try:
        context = await run_in_threadpool(_case_context, db, case_id, actor_of(reviewer.key),
                                          xray_classes(request.app.state.registry))
    except CaseNotFound as exc:
        return error_page(request, 404, str(exc), reviewer)
    return render(request, "case.html", {"reviewer": reviewer, **context})
