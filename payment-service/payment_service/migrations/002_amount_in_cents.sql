-- Amounts are exact decimals in cents, up to a billion: the rule the messages carry, so that the
-- table holds nothing else. NOT VALID: rows written before the rule are kept as they are.
ALTER TABLE payments ADD CONSTRAINT payments_amount_in_cents
    CHECK (amount = round(amount, 2) AND amount <= 1000000000) NOT VALID;
