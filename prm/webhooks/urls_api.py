from rest_framework.routers import SimpleRouter

from .api import DeliveryViewSet, SubscriptionViewSet

router = SimpleRouter(trailing_slash=True)
router.register("webhooks", SubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", DeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
