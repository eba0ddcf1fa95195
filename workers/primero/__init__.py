"""The Primero sync: its HTTP client, the record it sends, and the job."""
