-- A digest of each command's name and payload: the same message id with other content is refused.
-- Rows from before have none, and are taken as matching.
ALTER TABLE inbox ADD COLUMN content text;
