"""Small page helpers that every page relies on."""

from __future__ import annotations

from tracker.http.pages.common import local_time, redirect


def test_redirect_keeps_the_fragment_after_the_notice():
    assert redirect("/plans/1#report-3", "report_ready").url == (
        "/plans/1?notice=report_ready#report-3")
    assert redirect("/my").url == "/my"


def test_local_time_is_beijing_time_to_the_minute():
    assert local_time("2018-10-05T16:30:59+00:00") == "2018-10-06 00:30"
    assert local_time(None) == ""
    assert local_time("not a time") == "not a time"
