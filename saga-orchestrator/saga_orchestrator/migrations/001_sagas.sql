-- The sagas, their history, and the commands waiting to be published (the transactional outbox).
CREATE TABLE sagas (
    saga_id     uuid PRIMARY KEY,
    workflow    text NOT NULL,
    saga_key    text NOT NULL UNIQUE,
    input       jsonb NOT NULL,
    status      text NOT NULL,
    phase       text NOT NULL,
    progress    text NOT NULL,
    step        int NOT NULL,
    attempt     int NOT NULL,
    awaiting    text NOT NULL,
    wake_at     timestamptz,
    outcome     text,
    failed_step text,
    error       text,
    last_error  text,
    version     int NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    finished_at timestamptz
);
CREATE INDEX sagas_wake_at ON sagas (wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX sagas_created_at ON sagas (created_at DESC);
CREATE INDEX sagas_status_created_at ON sagas (status, created_at DESC);

CREATE TABLE saga_events (
    saga_id  uuid NOT NULL REFERENCES sagas,
    seq      int NOT NULL,
    at       timestamptz NOT NULL,
    type     text NOT NULL,
    state    text,
    step     text,
    service  text,
    command  text,
    attempt  int,
    success  boolean,
    result   jsonb,
    error    text,
    PRIMARY KEY (saga_id, seq)
);

CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    queue      text NOT NULL,
    message_id uuid NOT NULL,
    body       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
