"""Publications and mass sends (R-AD-6/7), from draft to the last queued message.

::

    route ──▶ drafts (content, audience, recipient file checks)
          ──▶ workflow (every state change + its audit entry)
                 draft ─submit─▶ submitted ─approve─▶ approved ─▶ scheduled ─claim─▶ sending ─▶ done
                   ▲                 │ reject            (quota.reserve)    │cancel (quota.release)
                   └── edit ── rejected ◀┘                                   ▼
                                                                         cancelled
    scheduler (every scheduler_interval_s) ──▶ sending: claim a due publication, record its
          recipients (recipients.py), queue them in batches on the bus (content.py builds the
          message), mark it done; a send whose process died is taken over and resumed.

``quota`` is the monthly mass-send ledger, ``repository`` the queries the routes and the sender
share.
"""
