"""gunicorn settings for production (docs/deploy.md): `gunicorn --config deploy/gunicorn.conf.py wsgi:app`.

Behind the reverse proxy on the same machine; logs to stdout/stderr, which systemd's journal keeps."""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
preload_app = True  # the app (and its production checks) loads once, before the workers fork
timeout = 30  # long work (NICE refresh, PDFs) runs in the job worker, never in a request
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
limit_request_line = 8190
# The proxy on this machine says whether the request came over HTTPS (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
