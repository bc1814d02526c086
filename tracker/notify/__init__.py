"""Notices to people outside the tracker: reminders (催报), late lists, returned updates and
published reports, through a JSON webhook, a WeCom or DingTalk group robot, or e-mail.

Only formatting and transport live here; the use cases (what to queue and when, the outbox,
channels, the schedule) are in tracker.services (notices, outbox, delivery, channels,
scheduler), and the labels of events, channel kinds and notice states in
tracker.domain.vocabulary.

- ``messages``: what each event says (pure: facts in, title and text out);
- ``formatters``: how each channel kind wants it (pure: message in, request out);
- ``sender``: delivering one notice with httpx / smtplib, bounded in time.
"""
