"""The bus in-process, with the broker's semantics (``wxhub dev`` and unit tests).

``bus.py``: MemoryBus (exchanges, bindings, routing, dead-lettering, request/reply);
``queues.py``: its queues, consumers and deliveries.
"""
