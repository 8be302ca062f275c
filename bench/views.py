"""Bench-only views: the baselines that pages and registrations are measured against."""

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

# Created by bench/registration.py in its own database after migrate; no migration adds it,
# so the project's databases never have it.
INSERT_TABLE_SQL = """
CREATE TABLE bench_insert (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    payload text NOT NULL
)
"""


def trivial(request: HttpRequest) -> HttpResponse:
    """No database, no template: what the server and middleware cost on their own."""
    return HttpResponse("ok")


@csrf_exempt
@require_POST
def insert(request: HttpRequest) -> HttpResponse:
    """One row in one transaction: the ceiling for a POST that writes one row through Django."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_insert (payload) VALUES (%s)", [request.POST.get("email", "")]
        )
    return HttpResponse("ok", status=201)
