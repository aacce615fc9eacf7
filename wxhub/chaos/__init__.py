"""The chaos suite (``make chaos``): the local cluster on private servers, faults under load.

- ``infra/``: private RabbitMQ, PostgreSQL and Redis on free loopback ports (never the shared
  ones), which the faults stop and restart;
- ``load.py``: signed callbacks and business notifications, each to a recipient of its own;
- ``tally.py``: accepted, delivered, SMS fallback, failed, lost, sent twice — from the sandboxes'
  logs;
- ``suite.py``: the faults in turn, a table row after each, the verdict.
"""
