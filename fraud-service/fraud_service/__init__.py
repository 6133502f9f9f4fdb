"""The fraud service: assesses a saga's payment before it ships, and withdraws the assessment when
the saga compensates."""
