"""The bus over RabbitMQ (aio-pika's robust connection, aiormq underneath for the hot paths).

::

    AmqpBus (bus.py)  connect / publish (confirmed) / reply (direct reply-to, unconfirmed)
      |- connection.py    corked TCP transport, the broker errors that become BusError
      |- declaring.py     declare / delete a topology, check an exchange (throwaway channels)
      |- replies.py       its base: direct reply-to, replies consumed and sent
      `- subscription.py  one channel per consumer: deliver -> handler -> settle
           `- acks.py     acks held a few ms and sent as one multiple-ack frame
"""
