"""Pages of the web interface for this domain (see app/web/pages.py for what every page shares)."""

from app.web import pages

router = pages.page_router()
