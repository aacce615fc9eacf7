"""Publications and mass sends (R-AD-6/7), from draft to the last queued message.

::

    route ──▶ workflow ──▶ drafts (what a draft may refer to), quota (monthly mass-send ledger),
                           recipients (audience → openids), audit entry of every step
    scheduler loop ──▶ sending ──▶ workflow (claim, progress, finish) ──▶ bus (wx.outbound)
                               └─▶ content (the message body; media uploaded to WeChat first)

:mod:`.workflow` owns every state change and draws the state machine; :mod:`.status` names the
states; :mod:`.repository` holds the queries the routes and the sender share.
"""
