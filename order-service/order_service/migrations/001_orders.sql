-- One order per saga. A CANCELLED row that was never CREATED is the marker a compensation leaves
-- when it arrives first, so that the late createOrder finds it and does nothing.
CREATE TABLE orders (
    order_id   text PRIMARY KEY,
    saga_id    uuid NOT NULL UNIQUE,
    product_id text NOT NULL,
    quantity   integer NOT NULL CHECK (quantity > 0),
    amount     numeric NOT NULL CHECK (amount > 0),
    status     text NOT NULL CHECK (status IN ('CREATED', 'CANCELLED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
