"""The admin API's data access: one module per resource, typed module functions that take the
session first and keyword-only arguments (``get``, ``list_*``, ``create``, ``update``,
``delete``, …). They ``flush()`` but never commit: the request owns the transaction.
"""
