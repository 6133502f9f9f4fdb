"""The order saga: create the order, take the payment, reserve the stock, ship; undo in reverse."""

from saga_orchestrator.engine.definition import Action, Step, Workflow

ORDER = ("orderId", "productId", "quantity", "amount")
PAYMENT = ("orderId", "amount")
STOCK = ("orderId", "productId", "quantity")

ORDER_WORKFLOW = Workflow(
    name="order",
    key="orderId",
    steps=(
        Step(
            service="order",
            action=Action("createOrder", reaches="ORDER_CREATED"),
            compensation=Action("cancelOrder", reaches="ORDER_CANCELLED"),
            carries=ORDER,
        ),
        Step(
            service="payment",
            action=Action("processPayment", reaches="PAYMENT_PROCESSED"),
            compensation=Action("cancelPayment", reaches="PAYMENT_CANCELLED"),
            carries=PAYMENT,
        ),
        Step(
            service="inventory",
            action=Action("reserveStock", reaches="STOCK_RESERVED"),
            compensation=Action("releaseStock", reaches="STOCK_RELEASED"),
            carries=STOCK,
        ),
        Step(
            service="shipping",
            action=Action("createShipment", reaches="SHIPPED"),
            compensation=Action("cancelShipment", reaches="SHIPMENT_CANCELLED"),
            carries=STOCK,
        ),
    ),
)
