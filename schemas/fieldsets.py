"""Read-only ``model_fields_set`` values that many models built without validation can share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn, SupportsIndex

__all__ = ["SharedFieldsSet", "shared_fields_set"]

_REFUSAL = "this fields set is shared by many models; copy it (set(...)) to change it"


class SharedFieldsSet(set[str]):
    """A set of field names shared by many model instances, so it refuses in-place changes.

    pydantic never changes the fields set of a frozen model in place: ``model_copy`` copies it
    first (with ``copy``), as do ``deepcopy`` and pickling, and those copies are plain sets.
    Comparisons and set operations behave as on a plain set (``a | b`` is a plain set).
    """

    __slots__ = ()

    def add(self, element: str) -> NoReturn:
        raise TypeError(_REFUSAL)

    def discard(self, element: object) -> NoReturn:
        raise TypeError(_REFUSAL)

    def remove(self, element: str) -> NoReturn:
        raise TypeError(_REFUSAL)

    def pop(self) -> NoReturn:
        raise TypeError(_REFUSAL)

    def clear(self) -> NoReturn:
        raise TypeError(_REFUSAL)

    def update(self, *others: Iterable[str]) -> NoReturn:
        raise TypeError(_REFUSAL)

    def difference_update(self, *others: Iterable[Any]) -> NoReturn:
        raise TypeError(_REFUSAL)

    def intersection_update(self, *others: Iterable[Any]) -> NoReturn:
        raise TypeError(_REFUSAL)

    def symmetric_difference_update(self, other: Iterable[str]) -> NoReturn:
        raise TypeError(_REFUSAL)

    def __ior__(self, other: Any) -> NoReturn:  # type: ignore[misc] # refuses: no result
        raise TypeError(_REFUSAL)

    def __iand__(self, other: Any) -> NoReturn:  # type: ignore[misc] # refuses: no result
        raise TypeError(_REFUSAL)

    def __isub__(self, other: Any) -> NoReturn:  # type: ignore[misc] # refuses: no result
        raise TypeError(_REFUSAL)

    def __ixor__(self, other: Any) -> NoReturn:  # type: ignore[misc] # refuses: no result
        raise TypeError(_REFUSAL)

    def copy(self) -> set[str]:
        return set(self)

    def __copy__(self) -> set[str]:
        return set(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> set[str]:
        return set(self)

    def __reduce__(self) -> tuple[type[set[str]], tuple[list[str]]]:
        return set, (list(self),)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[type[set[str]], tuple[list[str]]]:
        return set, (list(self),)

    def __repr__(self) -> str:
        return repr(set(self))


_SHARED: dict[frozenset[str], SharedFieldsSet] = {}


def shared_fields_set(names: Iterable[str]) -> SharedFieldsSet:
    """The one ``SharedFieldsSet`` of ``names`` (made on first use). Bounded: models ask with
    subsets of their own field names, and a few sets occur in practice."""
    key = frozenset(names)
    shared = _SHARED.get(key)
    if shared is None:
        shared = _SHARED[key] = SharedFieldsSet(key)
    return shared
