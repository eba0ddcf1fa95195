"""SMS: the webhook views, the intake of messages and receipts, the conversation records in
Redis, and the staff commands answered by SMS."""
