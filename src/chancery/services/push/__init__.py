"""Push: push rules and the unread and highlight counts they decide."""
