from prm.celery import app

from .delivery import delivery_attempt, delivery_sweep
from .models import Delivery


@app.task(name="webhooks.deliver")
def deliver(delivery_id: int) -> str:
    """One attempt; a failed one queues the next after its back-off."""
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    wait = delivery_attempt(delivery=delivery)
    if wait is not None:
        deliver.apply_async(args=[delivery_id], countdown=wait)
        return f"retry in {wait}s"
    return "done"


@app.task(name="webhooks.sweep_deliveries")
def sweep_deliveries() -> int:
    """Beat's webhooks-delivery-sweep, in every tenant: queue the deliveries whose
    try was never queued, or lost (delivery.delivery_sweep)."""
    return delivery_sweep(task=deliver)
