"""The test settings, with mail written to files in PRM_TEST_MAIL_DIR: the browser
test's web server is another process, whose locmem outbox the test cannot read."""

import os

from prm.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["PRM_TEST_MAIL_DIR"]
