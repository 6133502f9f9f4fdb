"""The types a workflow's input fields may have, by name: the rules of the shared contracts, as the
HTTP API applies them. A definition names a type; the model its start requests are checked with is
made from those names, so the order workflow's file and the seed's `/saga/start` share one rule set."""

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, create_model

from shared.contracts import CENTS, MAX_AMOUNT, Amount, Identifier, Quantity


def _json_number(value: Any) -> Any:
    """A number only: the request is strict about types, but 2.0 is an integer in JSON."""
    if isinstance(value, str | bool):
        raise ValueError("Input should be a number")
    return value


JsonNumber = BeforeValidator(_json_number)

IdentifierInput = Identifier
QuantityInput = Annotated[Quantity, JsonNumber, Field(strict=False, examples=[2])]
# A JSON number, read exactly (the body is parsed with decimals, not floats), kept in cents.
AmountInput = Annotated[
    Amount,
    JsonNumber,
    Field(strict=False),
    WithJsonSchema(
        {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": int(MAX_AMOUNT),
            "multipleOf": float(CENTS),
            "examples": [1000],
        }
    ),
]

FIELD_TYPES: dict[str, Any] = {
    "identifier": IdentifierInput,
    "quantity": QuantityInput,
    "amount": AmountInput,
}

# Strict, so a quantity of "2" is refused, not coerced; unknown fields are refused too.
INPUT_CONFIG = ConfigDict(frozen=True, strict=True, extra="forbid")


def input_model(workflow: str, fields: dict[str, str]) -> type[BaseModel]:
    """The model a start request of this workflow must pass: each field required, of its named type."""
    model_name = "".join(part.capitalize() for part in workflow.replace("-", "_").split("_")) + "Input"
    definitions: dict[str, Any] = {name: (FIELD_TYPES[kind], ...) for name, kind in fields.items()}
    return create_model(model_name, __config__=INPUT_CONFIG, **definitions)
