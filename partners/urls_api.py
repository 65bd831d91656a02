from rest_framework.routers import SimpleRouter

from .api import SLUG_REGEX, ContactViewSet, PartnerViewSet, ProductViewSet, TierViewSet

router = SimpleRouter(trailing_slash=True)
router.register("partners", PartnerViewSet, basename="partner")
router.register(
    rf"partners/(?P<partner_ref>{SLUG_REGEX})/contacts", ContactViewSet, basename="partner-contact"
)
router.register("products", ProductViewSet, basename="product")
router.register("tiers", TierViewSet, basename="tier")

urlpatterns = router.urls
