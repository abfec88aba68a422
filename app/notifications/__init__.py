"""Email notifications: an outbox written in the transaction of the change, and its sender."""
