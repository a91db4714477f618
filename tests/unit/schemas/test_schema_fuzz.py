"""Fuzzing decode: whatever the bytes, it never raises and gives exactly one outcome.

Example budget (together 10,000; about 20 s of CPU on the 2-core build machine): arbitrary bytes
4,000; arbitrary JSON 300; structurally mutated valid messages 3,500; byte-mutated valid
messages 2,200. The valid messages are the samples of every topic and the EPCIS test
documents. Mutations are driven by a drawn seed (plain ``random``), which keeps example
generation cheap.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schema_samples import RECEIVED_AT, SAMPLES

from schemas import DEADLETTER_REASONS, DeadLetter, Decoded, decode

TOPICS = [*SAMPLES, "unknown"]
EPCIS_DOCUMENTS = sorted((Path(__file__).parents[2] / "data" / "epcis").glob("*.json*"))
VALID_MESSAGES: list[tuple[str, bytes]] = [
    *((topic, orjson.dumps(sample())) for topic, sample in SAMPLES.items()),
    *(("epcis", path.read_bytes()) for path in EPCIS_DOCUMENTS),
]
"""Every sample message and EPCIS test document, as (topic, bytes): the mutation seeds."""
DECODER_REASONS = DEADLETTER_REASONS - {"internal_error", "manifest_timeout", "misrouted"}
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(
        ["2026-11-29T21:10:00Z", "2026-11-29T21:10:00", "departing", "F", "K", "CEL", "", "Z"]
    ),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=8,
)


NASTY_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**63,
    2**70,
    -(10**400),
    1e308,
    -0.0,
    "",
    "x" * 300,
    "\u0000",
    "\udc80",
    "2026-11-29T21:10:00",
    "2026-11-29T21:10:00Z",
    "9999-12-31T23:59:59-01:00",
    "departing",
    "https://ref.gs1.org/cbv/BizStep-receiving",
    "container_open",
    "FAH",
    "KEL",
    "Temperature",
    "possessing_party",
    [],
    {},
    [None],
    {"value": -1e9, "unit": "K"},
    {"lat": 91, "lon": 0},
    {"type": "ObjectEvent"},
]
"""Values that have broken decoders before: wrong types, extremes, near-miss vocabulary."""


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.5 or depth > 2:
        return copy.deepcopy(rng.choice(NASTY_VALUES))
    if roll < 0.65:
        return rng.uniform(-1e4, 1e4)
    if roll < 0.8:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {
        rng.choice(["type", "value", "uom", "lat", "x", ""]): _random_json(rng, depth + 1)
        for _ in range(rng.randint(0, 3))
    }


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    children: Any = value.items() if isinstance(value, dict) else enumerate(value)
    paths: list[tuple[Any, ...]] = []
    for key, child in children:
        paths.append((*prefix, key))
        if isinstance(child, dict | list):
            paths.extend(_paths(child, (*prefix, key)))
    return paths


def mutate_structure(message: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Delete, replace or add a few fields anywhere in the tree of a valid message."""
    for _ in range(rng.randint(1, 4)):
        paths = _paths(message)
        if not paths:
            break
        path = rng.choice(paths)
        parent: Any = message
        for step in path[:-1]:
            parent = parent[step]
        action = rng.choice(["delete", "replace", "replace", "add"])
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = _random_json(rng)
        elif isinstance(parent, dict):
            parent[rng.choice(["temperature", "isA", "zz", "seq"])] = _random_json(rng)
    return message


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Flip, insert or delete a few bytes."""
    mutable = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        position = rng.randrange(len(mutable))
        action = rng.choice(["flip", "insert", "delete"])
        if action == "flip":
            mutable[position] = rng.randrange(256)
        elif action == "insert":
            mutable[position:position] = rng.randbytes(rng.randint(1, 4))
        elif len(mutable) > 1:
            del mutable[position]
    return bytes(mutable)


def _assert_one_outcome(topic: str, payload: bytes | str) -> None:
    result = decode(topic, payload, received_at=RECEIVED_AT, key="k", partition=0, offset=1)
    if isinstance(result, Decoded):
        assert result.events
        for event in result.events:
            orjson.dumps(event.model_dump(mode="json"))
    else:
        assert isinstance(result, DeadLetter)
        assert result.reason in DECODER_REASONS, result
        orjson.dumps(result.model_dump(mode="json"))


@settings(FUZZ, max_examples=4000)
@given(topic=st.sampled_from(TOPICS), payload=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(topic: str, payload: bytes) -> None:
    _assert_one_outcome(topic, payload)


@settings(FUZZ, max_examples=300)
@given(topic=st.sampled_from(TOPICS), value=json_values)
def test_arbitrary_json_never_raises(topic: str, value: Any) -> None:
    _assert_one_outcome(topic, json.dumps(value))


@settings(FUZZ, max_examples=3500)
@given(message=st.sampled_from(VALID_MESSAGES), seed=st.integers(min_value=0, max_value=2**32))
def test_mutated_valid_messages_never_raise(message: tuple[str, bytes], seed: int) -> None:
    topic, payload = message
    mutated = mutate_structure(json.loads(payload), random.Random(seed))
    _assert_one_outcome(topic, json.dumps(mutated).encode())


@settings(FUZZ, max_examples=2200)
@given(message=st.sampled_from(VALID_MESSAGES), seed=st.integers(min_value=0, max_value=2**32))
def test_byte_mutated_valid_messages_never_raise(message: tuple[str, bytes], seed: int) -> None:
    topic, payload = message
    _assert_one_outcome(topic, mutate_bytes(payload, random.Random(seed)))
