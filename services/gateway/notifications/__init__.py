"""Business-system notifications: acceptance (validate, store, publish), status, CSV jobs."""
