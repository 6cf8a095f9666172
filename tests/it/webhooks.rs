//! Webhook verification against the official SDK vectors, and the handler end to end.
