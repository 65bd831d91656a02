"""The console's API routes under /api/v1/: the tenant's people (console.people_api)."""

from rest_framework.routers import SimpleRouter

from .people_api import PersonViewSet

router = SimpleRouter(trailing_slash=True)
router.register("users", PersonViewSet, basename="user")

urlpatterns = router.urls
