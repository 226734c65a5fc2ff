"""GET /v1/timeline: dated events merged across record types."""
