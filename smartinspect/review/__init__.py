"""Remote expert review: the case queue over clearance's image_review instructions, decisions, feedback labels.

The web UI (``/review/…``) and its JSON API (``/v1/review/…``) live in ``smartinspect.api.routers.review``;
templates and static files in ``smartinspect/review/web/``.
"""
