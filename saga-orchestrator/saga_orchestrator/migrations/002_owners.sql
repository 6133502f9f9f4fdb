-- Who started each saga, which alone of the clients may see and cancel it (NULL: started before
-- API keys, seen by operators only); and who asked for a cancel or a retry, in the history.
ALTER TABLE sagas ADD COLUMN owner text;
ALTER TABLE saga_events ADD COLUMN actor text;
