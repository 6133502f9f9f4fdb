-- One payment per saga. VOIDED is the marker of a cancelPayment that came before any charge:
-- the late processPayment finds it and charges nothing.
CREATE TABLE payments (
    saga_id    uuid PRIMARY KEY,
    payment_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    order_id   text NOT NULL,
    amount     numeric NOT NULL CHECK (amount > 0),
    status     text NOT NULL CHECK (status IN ('CHARGED', 'REFUNDED', 'VOIDED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
