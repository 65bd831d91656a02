"""Settings of the bench's own server, worker and process: the development settings
with DEBUG off, and a URLconf that adds bench/bench_urls.py's comparison endpoint to
the product's tenant URLs (the product's URLs are not changed)."""

from prm.settings.local import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench_urls"
# The DRF comparison endpoint reads the whole JSON body (request.data); Django's
# default 2.5 MB cap would refuse a bulk upload before DRF sees it. The product's
# endpoint streams its body and has its own limit (PRM_INGEST_MAX_BYTES).
DATA_UPLOAD_MAX_MEMORY_SIZE = None
