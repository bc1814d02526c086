"""Background jobs: report generation, publishing, reminders, evidence checks and the outbox.

One body per job (bodies.py), run in one of two ways (dispatch.py):
- on PostgreSQL, in procrastinate's queue (queue.py) by `tracker worker` processes: retries
  with backoff, a stalled job (its worker killed) requeued, periodic jobs deferred once for the
  whole cluster, failed jobs listed for the administrator;
- on SQLite (one machine), in the server's own process, as the in-process schedule does.

Layer: above services and reporting, below http and cli.
"""
