#!/usr/bin/env bash
# Start a real django-helpdesk (SQLite, REST API with Token auth) on 127.0.0.1 for
# tests/integration/test_tickets_django_helpdesk.py. Run by scripts/run-tests.sh before pytest. First run: a venv in
# ${HELPDESK_HOME:-/tmp/deskside-helpdesk} with django-helpdesk from PyPI (pip), the database migrated, a superuser
# with an API token and one queue (~30-60 s); later runs reuse the running server. Writes
# ${DESKSIDE_HELPDESK_ENV:-/tmp/deskside-helpdesk.env} with HD_URL, HD_TOKEN, HD_QUEUE, HD_PID, HD_HOME.
# Stop: kill -- -"$HD_PID"
set -euo pipefail
# A failure here must not stop the rest of the test run: the django-helpdesk tests then fail in CI and skip locally.
fail() { echo "helpdesk.start.sh: FAILED: $*; the django-helpdesk tests cannot run" >&2; rm -f "${ENV_FILE:-/tmp/deskside-helpdesk.env}"; exit 0; }
trap 'fail "command failed at line $LINENO"' ERR
HERE="$(cd "$(dirname "$0")" && pwd)"
HD_HOME="${HELPDESK_HOME:-/tmp/deskside-helpdesk}"
HD_PORT="${HD_PORT:-18090}"
ENV_FILE="${DESKSIDE_HELPDESK_ENV:-/tmp/deskside-helpdesk.env}"
LOG="$HD_HOME/server.log"
answers() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/api/tickets/" 2>/dev/null || true; }

if [ -s "$ENV_FILE" ]; then
  # shellcheck disable=SC1090
  ( . "$ENV_FILE"; kill -0 "$HD_PID" 2>/dev/null && [ "$(answers "$HD_PORT")" = 401 ] ) \
    && { echo "helpdesk.start.sh: reusing the running django-helpdesk ($ENV_FILE)"; exit 0; }
fi
mkdir -p "$HD_HOME"
PY="$HD_HOME/venv/bin/python"
if ! "$PY" -c 'import helpdesk, rest_framework.authtoken' 2>/dev/null; then
  python3 -m venv "$HD_HOME/venv"
  "$HD_HOME/venv/bin/pip" install -q "django-helpdesk>=2.6,<3" >"$HD_HOME/pip.log" 2>&1 || fail "pip install django-helpdesk (see $HD_HOME/pip.log)"
fi
export HELPDESK_HOME="$HD_HOME" DJANGO_SETTINGS_MODULE=settings PYTHONPATH="$HERE/django_helpdesk"
"$PY" -m django migrate --noinput >"$HD_HOME/migrate.log" 2>&1 || fail "migrate (see $HD_HOME/migrate.log)"
read -r HD_TOKEN HD_QUEUE < <("$PY" - <<'PY'
import django
django.setup()
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from helpdesk.models import Queue
User = get_user_model()
user = User.objects.filter(username="deskside").first() or User.objects.create_superuser(
    "deskside", "deskside@example.org", "deskside-password")
token, _ = Token.objects.get_or_create(user=user)
queue, _ = Queue.objects.get_or_create(slug="support", defaults={"title": "Support"})
print(token.key, queue.id)
PY
)
pkill_old() { [ -s "$ENV_FILE" ] && ( . "$ENV_FILE"; kill -- -"$HD_PID" 2>/dev/null ) || true; }
pkill_old
setsid "$PY" -m django runserver "127.0.0.1:$HD_PORT" --noreload --insecure >"$LOG" 2>&1 < /dev/null &
HD_PID=$!
for _ in $(seq 1 120); do
  [ "$(answers "$HD_PORT")" = 401 ] && break
  kill -0 "$HD_PID" 2>/dev/null || fail "the server stopped (see $LOG)"
  sleep 0.5
done
[ "$(answers "$HD_PORT")" = 401 ] || fail "no answer on 127.0.0.1:$HD_PORT (see $LOG)"
cat >"$ENV_FILE" <<ENV
HD_URL=http://127.0.0.1:$HD_PORT
HD_TOKEN=$HD_TOKEN
HD_QUEUE=$HD_QUEUE
HD_PID=$HD_PID
HD_HOME=$HD_HOME
ENV
echo "helpdesk.start.sh: django-helpdesk answers on http://127.0.0.1:$HD_PORT"
