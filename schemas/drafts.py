"""Drafts: objects filled attribute by attribute that then become wire models, unvalidated."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from schemas.base import WireModel

__all__ = ["Draft", "draft_class"]

_M = TypeVar("_M", bound=BaseModel)


class Draft(WireModel):
    """The memory layout of every ``WireModel`` subclass, with plain attribute setting.

    The wire models are frozen and pydantic's ``__setattr__`` is Python code, so building one
    without validation (``model_construct``, or the slot descriptors' ``__set__``) costs a
    call per slot. A draft takes its values as ordinary attribute stores, which the
    interpreter specialises (field values in the instance's split dictionary, pydantic's
    three slots directly); assigning its ``__class__`` then makes it the model. CPython allows
    that between classes of the same layout; ``draft_class`` checks it for each model.

    The caller sets every field in the model's order, then ``__pydantic_fields_set__``,
    ``__pydantic_extra__`` and ``__pydantic_private__`` (``None`` for a model without extra
    fields or private attributes), then ``__class__``: what ``model_construct`` leaves.
    """

    # Both are needed for the C setter: a Python __delattr__ would keep the slot generic.
    __setattr__ = object.__setattr__
    __delattr__ = object.__delattr__
    __init__ = object.__init__  # no validation: a draft is created empty


def draft_class(model: type[_M], *fields: str) -> type[Draft]:
    """A ``Draft`` subclass for ``model``, whose ``fields`` are all its fields in its order.

    Each model gets its own subclass, so that its drafts share one key table with the model's
    fields only. A trial draft must become a ``model`` alike in every part (type, ``__dict__``
    in order, the three slots) to ``model_construct`` of the same values, else ``TypeError``:
    a layout, a model or a list of fields that does not allow drafts fails on import, not
    per message.
    """
    drafted = type(f"{model.__name__}Draft", (Draft,), {"__module__": __name__})
    values = {name: index for index, name in enumerate(fields)}
    trial: Any = drafted()
    for name, value in values.items():
        setattr(trial, name, value)
    trial.__pydantic_fields_set__ = set(fields)
    trial.__pydantic_extra__ = None
    trial.__pydantic_private__ = None
    trial.__class__ = model
    expected = model.model_construct(set(fields), **values)
    built_alike = (
        type(trial) is model
        and list(trial.__dict__.items()) == list(expected.__dict__.items())
        and trial.__pydantic_fields_set__ == expected.__pydantic_fields_set__
        and trial.__pydantic_extra__ == expected.__pydantic_extra__  # {} if extra="allow"
        and trial.__pydantic_private__ == expected.__pydantic_private__  # private attributes
    )
    if not built_alike:
        raise TypeError(f"a draft does not build {model.__name__} as model_construct does")
    return drafted
