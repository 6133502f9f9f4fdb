-- Every command a service has taken, with the reply it gave: a redelivered command gets the same reply.
CREATE TABLE inbox (
    message_id  uuid PRIMARY KEY,
    saga_id     uuid NOT NULL,
    command     text NOT NULL,
    reply       jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
