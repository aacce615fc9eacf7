"""A lean HTTP/1.1 keep-alive client for the dispatcher's sends to WeChat and the SMS gateway.

Profiling the dispatcher at ~1,000 sends/s showed httpcore's connection pool spending most of
the process's CPU on bookkeeping (per request: scanning every pooled connection and waiting
request, a readability probe per idle socket, several lock objects). The dispatcher only sends
small JSON requests to two hosts, so this package does just that::

    LeanAsyncClient.build_request     (client.py: absolute URL + query parsed once, cached)
      -> LeanAsyncClient.send
        -> KeepAliveTransport          (transport.py: a slot per origin, a LIFO stack of idle
             |                          streams, one write per request, one retry on a stale one)
             |- proxy_for / tunnel      (proxy.py: explicit or environment proxy, CONNECT for https)
             `- request_head, read_head, read_body   (wire.py: HTTP/1.1 framing)

Errors map to the ``httpx`` exceptions callers already handle (``ConnectError``,
``ReadTimeout``, ``RemoteProtocolError``…).
"""
