#!/usr/bin/env bash
# Start a real Request Tracker 5 (Debian 12 package 5.0.3, SQLite) on 127.0.0.1 for tests/integration/test_tickets_rt.py.
# Run by scripts/run-tests.sh before pytest. As root it installs request-tracker5 (first run: ~1-2 min), starts
# rt-server in its own process group (so a test can SIGSTOP/SIGCONT or kill and restart it) and writes
# ${DESKSIDE_RT_ENV:-/tmp/deskside-rt.env} with RT_URL, RT_USER, RT_PASS, RT_TOKEN, RT_PID, RT_PORT, RT_START_CMD.
# Not root: does nothing (the RT tests then skip locally and fail in CI).
# Stop: kill -- -"$RT_PID"
set -euo pipefail
# A failure here must not stop the rest of the test run: the RT tests then fail in CI (need()) and skip locally.
fail() { echo "rt.start.sh: FAILED: $*; the Request Tracker tests cannot run" >&2; rm -f "${ENV_FILE:-/tmp/deskside-rt.env}"; exit 0; }
trap 'fail "command failed at line $LINENO"' ERR
if [ "$(id -u)" != 0 ]; then
  echo "rt.start.sh: not root, Request Tracker not started (RT tests will skip)" >&2
  exit 0
fi
RT_PORT="${RT_PORT:-18080}"
RT_PASS="${RT_PASS:-rtpassword}"          # RT rejects passwords shorter than 5 chars
RT_LOG="${RT_LOG:-/tmp/deskside-rt-server.log}"
ENV_FILE="${DESKSIDE_RT_ENV:-/tmp/deskside-rt.env}"
DB=/var/lib/dbconfig-common/sqlite3/request-tracker5/rtdb
PERL_LIB='use lib "/usr/local/share/request-tracker5/lib", "/usr/share/request-tracker5/lib"; use RT; RT::LoadConfig(); RT::Init();'
export DEBIAN_FRONTEND=noninteractive

answers() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/REST/2.0/" 2>/dev/null || true; }

# Already running from an earlier run (same env file, live process, answering)? Reuse it.
if [ -s "$ENV_FILE" ]; then
  # shellcheck disable=SC1090
  ( . "$ENV_FILE"; kill -0 "$RT_PID" 2>/dev/null && c=$(answers "$RT_PORT") && { [ "$c" = 401 ] || [ "$c" = 200 ]; } ) \
    && { echo "rt.start.sh: reusing the running Request Tracker ($ENV_FILE)"; exit 0; }
fi

t0=$(date +%s)
if ! dpkg-query -W -f='${Status}' request-tracker5 2>/dev/null | grep -q 'ok installed'; then
  debconf-set-selections <<EOF
request-tracker5 request-tracker5/rtname string rt.localhost
request-tracker5 request-tracker5/organization string localhost
request-tracker5 request-tracker5/correspondaddress string rt@localhost
request-tracker5 request-tracker5/commentaddress string rt-comment@localhost
request-tracker5 request-tracker5/webbaseurl string http://127.0.0.1:${RT_PORT}
request-tracker5 request-tracker5/webpath string /rt
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/initial-root-password password ${RT_PASS}
request-tracker5 request-tracker5/dbconfig-install boolean true
request-tracker5 request-tracker5/database-type select sqlite3
request-tracker5 request-tracker5/db/dbname string rtdb
rt5-db-sqlite rt5-db-sqlite/available boolean true
EOF
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  # msmtp-mta satisfies RT's mail-transport-agent dependency without a daemon.
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    request-tracker5 rt5-db-sqlite rt5-standalone msmtp-mta curl ca-certificates >/tmp/deskside-rt-apt.log 2>&1 \
    || { if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; tail -40 /tmp/deskside-rt-apt.log
         fail "apt-get install"; }
  if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
t1=$(date +%s)

# A free port: skip ports something else already answers on.
while [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${RT_PORT}/" 2>/dev/null || true)" != 000 ]; do
  RT_PORT=$((RT_PORT + 1))
done

cat > /etc/request-tracker5/RT_SiteConfig.d/99-deskside-tests.pm <<EOF
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, ${RT_PORT});
Set(\$WebPath, '');
Set(\$WebBaseURL, 'http://127.0.0.1:${RT_PORT}');
Set(\$LogToSyslog, undef);
Set(\$LogToSTDERR, 'warning');
Set(\$MailCommand, 'mbox');
Set(\$RestrictReferrer, 0);
1;
EOF
chown root:www-data /etc/request-tracker5/RT_SiteConfig.d/99-deskside-tests.pm
chmod 640 /etc/request-tracker5/RT_SiteConfig.d/99-deskside-tests.pm

if [ ! -s "$DB" ]; then
  mkdir -p "$(dirname "$DB")"
  rt-setup-database-5 --action init --skip-create </dev/null >/tmp/deskside-rt-setup-db.log 2>&1 \
    || rt-setup-database-5 --action init </dev/null >>/tmp/deskside-rt-setup-db.log 2>&1 \
    || { tail -20 /tmp/deskside-rt-setup-db.log; fail "database setup"; }
  chown root:www-data "$DB"; chmod 660 "$DB"
  RT_PASS="$RT_PASS" perl -e "$PERL_LIB"'
    my $u = RT::User->new(RT->SystemUser); $u->Load("root");
    my ($ok,$m) = $u->SetPassword($ENV{RT_PASS}); die "$m\n" unless $ok;' 2>/dev/null
fi

# Ticket custom fields Deskside fills in (applied to every queue); idempotent.
perl -e "$PERL_LIB"'
  for my $name ("Incident Type", "Impact", "Urgency", "Category", "Deskside Marker") {
    my $cf = RT::CustomField->new(RT->SystemUser);
    $cf->LoadByName(Name => $name, LookupType => "RT::Queue-RT::Ticket");
    next if $cf->id;
    my ($id, $msg) = $cf->Create(Name => $name, Type => "FreeformSingle", LookupType => "RT::Queue-RT::Ticket");
    die "custom field $name: $msg\n" unless $id;
    my ($ok, $m) = $cf->AddToObject(RT::Queue->new(RT->SystemUser));   # global: every queue
    die "apply $name: $m\n" unless $ok;
  }' 2>/dev/null

RT_ACCESS_LOG="${RT_ACCESS_LOG:-/tmp/deskside-rt-access.log}"
# The access log (one line per request, with its time) is what tests/integration/rt_server.py shows when a test
# that used RT fails: which requests RT had answered and when.
START_CMD="/usr/share/request-tracker5/libexec/rt-server --host 127.0.0.1 --port ${RT_PORT} --max-workers 2 --access-log ${RT_ACCESS_LOG}"
# Own session/process group: tests stop or kill the whole server (master + workers) with one signal.
setsid nohup $START_CMD >"$RT_LOG" 2>&1 < /dev/null &
RT_PID=$!
code=000
for _ in $(seq 1 240); do
  code=$(answers "$RT_PORT")
  { [ "$code" = 401 ] || [ "$code" = 200 ]; } && break
  kill -0 "$RT_PID" 2>/dev/null || { tail -30 "$RT_LOG"; fail "rt-server died"; }
  sleep 0.5
done
{ [ "$code" = 401 ] || [ "$code" = 200 ]; } || { tail -30 "$RT_LOG"; fail "rt-server did not answer"; }
t2=$(date +%s)

RT_TOKEN=$(perl -e "$PERL_LIB"'
  my $cu = RT::CurrentUser->new; $cu->Load("root") or die "no root";
  my ($id,$msg,$auth) = RT::AuthToken->new($cu)->Create(Owner=>$cu->id, Description=>"Deskside tests");
  die "token: $msg\n" unless $id; print $auth;' 2>/dev/null)

cat > "$ENV_FILE" <<EOF
RT_URL=http://127.0.0.1:${RT_PORT}
RT_PORT=${RT_PORT}
RT_USER=root
RT_PASS=${RT_PASS}
RT_TOKEN=${RT_TOKEN}
RT_PID=${RT_PID}
RT_LOG=${RT_LOG}
RT_ACCESS_LOG=${RT_ACCESS_LOG}
RT_START_CMD="${START_CMD}"
EOF
chmod 600 "$ENV_FILE"
echo "rt.start.sh: Request Tracker on http://127.0.0.1:${RT_PORT} (install $((t1-t0))s, start $((t2-t1))s), env in $ENV_FILE"
