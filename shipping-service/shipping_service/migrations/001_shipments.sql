-- One shipment per saga. VOIDED is the marker of a cancelShipment that came before the shipment:
-- the late createShipment finds it and ships nothing.
CREATE TABLE shipments (
    saga_id     uuid PRIMARY KEY,
    shipment_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    order_id    text NOT NULL,
    product_id  text NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    status      text NOT NULL CHECK (status IN ('CREATED', 'CANCELLED', 'VOIDED')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
