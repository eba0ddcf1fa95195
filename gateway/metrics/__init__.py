"""What ``/metrics`` serves: the counters every Kinga process writes to files
(``files.py``; the metrics themselves are ``workers.metrics``), and the gauges read at scrape
time from Redis and the database (``live.py``). The view and its access rule are
``gateway.web.metrics``."""
