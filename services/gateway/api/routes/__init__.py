"""One router per resource of the notification API."""
