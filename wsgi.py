"""gunicorn entry point: ``gunicorn wsgi:app``."""

from voucher import create_app

app = create_app()
