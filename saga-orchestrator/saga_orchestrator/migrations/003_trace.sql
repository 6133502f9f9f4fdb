-- The trace a saga was started in (its W3C traceparent), when tracing is on: the commands its
-- deadlines and retries send later join that trace rather than start one of their own.
ALTER TABLE sagas ADD COLUMN traceparent text;
