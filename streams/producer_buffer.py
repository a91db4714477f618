"""Faust's producer buffer tells its size without reading the app's settings at every message.

Before handing each consumed message to its streams, Faust's conductor awaits
``app.producer.buffer.wait_until_ebb()``, which reads ``ProducerBuffer.size``; that property
looks up ``app.conf.producer_threaded`` (Faust's settings registry: 1.6 of the 2.4 µs the
call costs, on every message). The setting is fixed once the app is made, so
``cached_buffer_size`` makes the property read it once per buffer; the size is counted as
before (Faust's own lines), from the threaded producer's queue or the buffer's own.

Checked against faust-streaming 0.15.3 (constraints.txt).
"""

from __future__ import annotations

from typing import Any

__all__ = ["cached_buffer_size"]

_MARK = "_cryotrace_cached_size"
_THREADED = "_cryotrace_producer_threaded"


def cached_buffer_size() -> None:
    """Patch ``ProducerBuffer.size`` as the module docstring says (idempotent; process-wide)."""
    from faust.transport.producer import ProducerBuffer

    if getattr(ProducerBuffer, _MARK, False):
        return
    faust_size: property = vars(ProducerBuffer)["size"]

    def size(self: Any) -> int:
        threaded = self.__dict__.get(_THREADED)
        if threaded is None:  # ``app`` is set after the buffer is made: read it on first use
            threaded = self.__dict__[_THREADED] = bool(self.app.conf.producer_threaded)
        if threaded:  # as Faust counts: the threaded producer's queue, once there is one
            return len(self.queue._queue) if self.queue else 0
        return len(self.pending._queue)

    setattr(ProducerBuffer, _MARK, True)
    ProducerBuffer.size = property(size, doc=faust_size.__doc__)  # type: ignore[method-assign,assignment]  # a property replaced by an equivalent one
