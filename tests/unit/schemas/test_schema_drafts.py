"""Drafts become wire models exactly as ``model_construct`` builds them, or refuse on creation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, PrivateAttr, ValidationError

from schemas.base import WireModel
from schemas.drafts import Draft, draft_class
from schemas.telemetry import Location


class _Pair(WireModel):
    a: int
    b: str | None = None


def _drafted_pair(a: int, b: str | None, fields_set: set[str]) -> Any:
    draft: Any = draft_class(_Pair, "a", "b")()
    draft.a = a
    draft.b = b
    draft.__pydantic_fields_set__ = fields_set
    draft.__pydantic_extra__ = None
    draft.__pydantic_private__ = None
    draft.__class__ = _Pair
    return draft


def test_a_filled_draft_is_the_model_model_construct_builds() -> None:
    pair = _drafted_pair(1, "x", {"a", "b"})
    expected = _Pair.model_construct({"a", "b"}, a=1, b="x")
    assert type(pair) is _Pair
    assert pair == expected
    assert repr(pair) == repr(expected)
    assert pair.model_fields_set == {"a", "b"}
    assert pair.model_dump_json() == expected.model_dump_json()
    assert hash(pair) == hash(expected)


def test_the_model_a_draft_became_is_frozen_again() -> None:
    pair = _drafted_pair(1, None, {"a"})
    with pytest.raises(ValidationError):
        pair.a = 2
    with pytest.raises(ValidationError):
        del pair.a
    assert pair.a == 1


def test_drafts_store_attributes_without_pydantic_and_are_not_models_of_their_own() -> None:
    drafted = draft_class(Location, *Location.model_fields)
    assert issubclass(drafted, Draft)
    assert not issubclass(drafted, Location)
    draft: Any = drafted()
    draft.anything = 1  # a frozen model would refuse this
    assert draft.__dict__ == {"anything": 1}


class _Private(WireModel):
    a: int
    _cache: int = PrivateAttr(default=0)


class _Extra(WireModel, extra="allow"):
    a: int


class _Slotted(BaseModel):
    __slots__ = ("other",)
    a: int


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (_Private, ("a",)),  # private attributes: __pydantic_private__ is not None
        (_Extra, ("a",)),  # extra="allow": __pydantic_extra__ is {}
        (_Slotted, ("a",)),  # another layout: __class__ cannot be assigned
        (_Pair, ("a",)),  # a field left out: model_construct fills its default
        (_Pair, ("b", "a")),  # not the model's order
    ],
)
def test_draft_class_refuses_what_a_draft_cannot_build(
    model: type[BaseModel], fields: tuple[str, ...]
) -> None:
    with pytest.raises(TypeError):
        draft_class(model, *fields)
