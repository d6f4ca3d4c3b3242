"""Fast construction of the codec's frozen slotted values.

Theory of operation: a frozen dataclass's generated ``__init__`` sets each
field through ``object.__setattr__`` (the class's own ``__setattr__`` refuses),
which looks the slot up by name every time: for a value of five fields that
is three times the cost of the object itself.  Decoders build one value per
route (a VPN prefix, a FlowSpec rule and its components) and one UPDATE per
message, so ``builder(cls)`` gives them a positional constructor that fills
the slots through their descriptors directly.  The value is the one
``cls(*args)`` gives: every field is passed, in declaration order, and a class
with ``__post_init__`` (which the builder would skip) is refused.  The values
stay frozen for everyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any


def builder(cls: Any) -> Callable[..., Any]:
    """``cls(*values)`` for frozen slotted dataclass ``cls``, every field given."""
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__")
    setters = tuple(cls.__dict__[field.name].__set__ for field in fields(cls))
    new = object.__new__
    # one closure per arity: a loop over the setters would cost what it saves
    if len(setters) == 2:
        s0, s1 = setters

        def build2(a: Any, b: Any) -> Any:
            value = new(cls)
            s0(value, a)
            s1(value, b)
            return value

        return build2
    if len(setters) == 3:
        s0, s1, s2 = setters

        def build3(a: Any, b: Any, c: Any) -> Any:
            value = new(cls)
            s0(value, a)
            s1(value, b)
            s2(value, c)
            return value

        return build3
    if len(setters) == 4:
        s0, s1, s2, s3 = setters

        def build4(a: Any, b: Any, c: Any, d: Any) -> Any:
            value = new(cls)
            s0(value, a)
            s1(value, b)
            s2(value, c)
            s3(value, d)
            return value

        return build4
    if len(setters) == 5:
        s0, s1, s2, s3, s4 = setters

        def build5(a: Any, b: Any, c: Any, d: Any, e: Any) -> Any:
            value = new(cls)
            s0(value, a)
            s1(value, b)
            s2(value, c)
            s3(value, d)
            s4(value, e)
            return value

        return build5
    raise TypeError(f"no builder for {len(setters)} fields")
