from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import EffectiveSlaView, PartnerRequestViewSet, SlaPolicyViewSet

router = SimpleRouter(trailing_slash=True)
router.register("slas", SlaPolicyViewSet, basename="sla")
router.register("requests", PartnerRequestViewSet, basename="request")

urlpatterns = [
    *router.urls,
    path("partners/<slug:ref>/sla/", EffectiveSlaView.as_view(), name="partner-sla"),
]
