"""A minimal Django site around django-helpdesk for the tests (tests/servers/helpdesk.start.sh): SQLite, the REST
API with Token authentication, 127.0.0.1 only. Not a package of ours: it runs in its own venv."""

import os
from pathlib import Path

BASE = Path(os.environ["HELPDESK_HOME"])
SECRET_KEY = "deskside-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "rest_framework.authtoken", "helpdesk",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware", "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware", "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                 "django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE / "helpdesk.sqlite3")}}
SITE_ID = 1
STATIC_URL = "/static/"
MEDIA_ROOT = str(BASE / "media")
MEDIA_URL = "/media/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HELPDESK_API_ENABLED = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"]}
LOGIN_URL = "/login/"
HELPDESK_TEAMS_MODE_ENABLED = False
# django-helpdesk refuses .zip attachments by default; an admin who takes Deskside bundles adds it (documented).
HELPDESK_VALID_EXTENSIONS = [".txt", ".log", ".json", ".pdf", ".png", ".jpg", ".zip"]
