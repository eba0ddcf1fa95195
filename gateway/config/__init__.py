"""What a deployment is made of: the settings read from ``KINGA_*`` variables (``settings``),
the deployment profile read from its folder (``profile``), and the Redis connection with the
embedded server of development (``redis``). The runtime builds them once per process."""
