-- Stock on hand; the CHECK is the last line against overselling.
CREATE TABLE products (
    product_id text PRIMARY KEY,
    stock      integer NOT NULL CHECK (stock >= 0)
);

-- One reservation per saga. VOIDED is the marker of a releaseStock that came before any
-- reservation; there is no foreign key, since a marker may name a product that does not exist.
CREATE TABLE reservations (
    saga_id    uuid PRIMARY KEY,
    product_id text NOT NULL,
    quantity   integer NOT NULL CHECK (quantity > 0),
    status     text NOT NULL CHECK (status IN ('RESERVED', 'RELEASED', 'VOIDED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
