"""What the web console needs from the service that the rest of the API does not say."""
