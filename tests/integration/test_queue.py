"""The job queue with real processes on the test PostgreSQL: `tracker serve` takes requests,
`tracker worker` processes run the jobs (tracker/jobs).

Each test gets a fresh database (tests/support/queue_cluster.py) migrated by the real
`tracker db migrate`, which also applies procrastinate's schema. The periodic jobs fire every
second where a test needs them to (TRACKER_QUEUE_CRON) and a worker silent for 1.5 s counts
as dead, so nothing waits for a minute; every wait polls with a timeout.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal

import httpx
import pytest

from tests.support.http_recorder import recording_server
from tests.support.queue_cluster import Cluster, logged_in, wait_until
from tests.support.samples import MINIMAL
from tracker.services.demo import DEMO_PASSWORD

EVERY_SECOND = {"TRACKER_QUEUE_CRON": "* * * * * *"}  # every periodic job every second
FAST = {
    "TRACKER_WORKER_HEARTBEAT": "0.5",  # dead after 1.5 s of silence
    "TRACKER_JOB_BACKOFF": "0",
    "TRACKER_JOB_RETRIES": "1",
}


@pytest.fixture
def cluster(postgres_url):
    made = Cluster(postgres_url, env=FAST)
    yield made
    print(made.logs())  # captured: pytest shows it with a failure
    made.close()


def _plan_id(cluster: Cluster) -> int:
    return int(cluster.sql("SELECT min(id) FROM plan"))


def _request_report(client: httpx.Client, plan_id: int) -> str:
    response = client.post(f"/plans/{plan_id}/reports",
                           data={"period": "2018-09", "_csrf_token": client.cookies["csrftoken"]})
    assert response.status_code == 303, response.text[:500]
    match = re.search(r"/report-jobs/([0-9a-f]{32})$", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def _status(client: httpx.Client, job_id: str) -> dict:
    response = client.get(f"/report-jobs/{job_id}")
    assert response.status_code == 200, response.text[:500]
    return response.json()


def _finished(client: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    return wait_until(lambda: (status := _status(client, job_id))["state"] != "running" and status,
                      timeout, 0.1, "the report job")


def test_a_report_asked_for_on_the_server_is_made_by_a_worker(cluster):
    """…and downloadable; then `tracker report publish --queue` has a worker publish it (the
    content is archived already: no second report) and its notice is sent."""
    cluster.env["TRACKER_WEBHOOK_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1"
    base_url = cluster.serve()
    client = logged_in(base_url, "office", DEMO_PASSWORD)
    job_id = _request_report(client, _plan_id(cluster))
    # No worker yet: the job waits in the queue and the page says it is running.
    assert _status(client, job_id)["state"] == "running"
    assert cluster.sql("SELECT status FROM procrastinate_jobs WHERE task_name = 'report'") == "todo"
    # Asking again for the same report joins the job.
    assert _request_report(client, _plan_id(cluster)) == job_id

    cluster.worker()
    status = _finished(client, job_id)
    assert status["state"] == "done", status
    pdf = client.get(status["pdf_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert cluster.sql("SELECT count(*) FROM generated_report") == "1"

    with recording_server() as web:
        cluster.run("channel", "add", "webhook", "办公室群", f"{web.url}/ok/hook",
                    "--events", "report_published")
        done = cluster.run("report", "publish", "--plan", str(_plan_id(cluster)),
                           "--period", "2018-09", "--queue")
        assert "已加入任务队列" in done.stdout
        wait_until(lambda: web.to("/ok/hook"), 120, 0.1, "the report_published notice")
        assert cluster.sql("SELECT count(*) FROM generated_report") == "1"
        assert cluster.sql("SELECT dedupe_key FROM notification").startswith("report_published:")


def test_a_worker_killed_mid_report_leaves_the_job_to_another(cluster):
    base_url = cluster.serve()
    client = logged_in(base_url, "office", DEMO_PASSWORD)
    first = cluster.worker(concurrency=1)
    job_id = _request_report(client, _plan_id(cluster))
    # In the middle of the job: past its first step (the charts and the PDF are being made).
    wait_until(lambda: _status(client, job_id)["done_steps"] >= 1, 60, 0.02, "the job to start")
    assert _status(client, job_id)["state"] == "running"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    assert cluster.sql("SELECT status FROM procrastinate_jobs WHERE task_name = 'report'") == "doing"
    wait_until(lambda: cluster.sql(
        "SELECT count(*) FROM procrastinate_workers "
        "WHERE last_heartbeat > now() - interval '1.5 seconds'") == "0",
        10, 0.05, "the killed worker's heartbeat to go stale")

    cluster.worker(concurrency=1)  # on starting, it requeues the dead worker's job
    status = _finished(client, job_id)
    assert status["state"] == "done", status
    assert cluster.sql("SELECT count(*) FROM generated_report") == "1"
    assert client.get(status["pdf_url"]).content.startswith(b"%PDF")


def test_a_reminder_due_today_is_sent_once_by_two_workers(cluster):
    """A plan of this year whose reminders are due: two workers both run the periodic
    deferrer every second, yet each notice reaches the webhook exactly once."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    template = cluster.root / "plan.yaml"
    template.write_text(MINIMAL.replace("2018", str(today.year)), encoding="utf-8")
    cluster.run("plan", "import", str(template), "--create-units")
    cluster.sql("UPDATE plan SET remind_days_before = 31")  # whatever today's date
    with recording_server() as web:
        cluster.env.update({"TRACKER_WEBHOOK_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
                            "TRACKER_REMIND_HOUR": "0", **EVERY_SECOND})
        cluster.run("channel", "add", "webhook", "办公室群", f"{web.url}/ok/hook")
        cluster.serve()
        cluster.worker()
        cluster.worker()

        def sent() -> bool:
            unsent = int(cluster.sql("SELECT count(*) FROM notification WHERE sent_at IS NULL"))
            return int(cluster.sql("SELECT count(*) FROM notification")) > 0 and unsent == 0

        def last_fired() -> int:  # the latest second the periodic reminders job was deferred for
            return int(cluster.sql("SELECT coalesce(max(defer_timestamp), 0) FROM "
                                   "procrastinate_periodic_defers WHERE task_name = 'reminders'"))

        wait_until(sent, 60, 0.1, "the reminders to be queued and sent")
        first = last_fired()
        # Three more firings of the daily job (each once for both workers): nothing new is sent.
        wait_until(lambda: last_fired() >= first + 3, 30, 0.1, "three more reminder runs")
        assert sent()
        received = [r.body for r in web.to("/ok/hook")]
        keys = cluster.sql("SELECT dedupe_key FROM notification ORDER BY id").splitlines()
        assert any(key.startswith("reminder:") for key in keys), keys
        assert len(received) == len(keys)
        assert len(set(received)) == len(received)  # no notice twice


def test_a_job_failing_every_time_is_listed_for_the_admin_and_retried(cluster):
    base_url = cluster.serve()
    cluster.worker()
    # A job whose arguments its task does not take fails on every attempt.
    job_id = int(cluster.sql(
        "SELECT (procrastinate_defer_jobs_v1(ARRAY[ROW('notices', 'outbox', 0, NULL, NULL, "
        "'{\"bogus\": 1}'::jsonb, NULL)::procrastinate_job_to_defer_v1]))[1]"))

    def failed_attempts() -> int:
        row = cluster.sql(f"SELECT status, attempts FROM procrastinate_jobs WHERE id = {job_id}")
        status, attempts = row.split("|")
        return int(attempts) if status == "failed" else 0

    attempts = wait_until(failed_attempts, 30, 0.05, "the job to fail after its retry")
    assert attempts == 2  # the first attempt and TRACKER_JOB_RETRIES=1 retry

    admin = logged_in(base_url, "admin", DEMO_PASSWORD)
    page = admin.get("/admin/jobs")
    assert page.status_code == 200
    row = re.search(rf'<tr id="job-{job_id}">(.*?)</tr>', page.text, re.S)
    assert row, page.text[-2000:]
    assert "发送通知" in row.group(1) and "bogus=1" in row.group(1)
    assert "TypeError" in row.group(1) and "重试" in row.group(1)
    token = httpx.post(f"{base_url}/api/tokens", json={"username": "admin",
                                                       "password": DEMO_PASSWORD}).json()["token"]
    listed = httpx.get(f"{base_url}/api/jobs/failed", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.text
    [job] = listed.json()
    assert (job["id"], job["task"], job["task_label"], job["attempts"]) == (
        job_id, "outbox", "发送通知", 2)
    assert "TypeError" in job["error"] and job["failed_at"]

    retried = admin.post(f"/admin/jobs/{job_id}/retry",
                         data={"_csrf_token": admin.cookies["csrftoken"]})
    assert retried.status_code == 303, retried.text[:500]
    # Back in the queue: it runs again (and, still wrong, fails again with more attempts).
    wait_until(lambda: failed_attempts() > attempts, 30, 0.05, "the retried job to run")
    # Only the administrator: a coordinator is refused.
    office = logged_in(base_url, "office", DEMO_PASSWORD)
    assert office.get("/admin/jobs").status_code == 403
    assert office.post(f"/admin/jobs/{job_id}/retry",
                       data={"_csrf_token": office.cookies["csrftoken"]}).status_code == 403


def test_a_worker_stops_cleanly_on_sigterm(cluster):
    worker = cluster.worker()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(15) == 0
    # It said goodbye: no worker row is left behind to be taken for a dead one.
    assert cluster.sql("SELECT count(*) FROM procrastinate_workers") == "0"


def test_the_worker_needs_postgresql(tmp_path):
    from tests.support.commands import run_tracker

    done = run_tracker("worker", data_dir=tmp_path)
    assert done.returncode == 2
    assert "tracker worker 需要 PostgreSQL" in done.stderr


@pytest.mark.usefixtures("cheap_password_hashing")
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_on_sqlite_jobs_run_in_the_server_and_the_page_says_so(app_client, database):
    from tests.integration.test_access import quick_login
    from tests.support.factories import make_user

    admin = await make_user("admin")
    coordinator = await make_user("coordinator")
    await quick_login(app_client, coordinator.username)
    assert (await app_client.get("/admin/jobs")).status_code == 403
    await quick_login(app_client, admin.username)
    page = await app_client.get("/admin/jobs")
    assert page.status_code == 200 and "在服务进程内运行" in page.text
    assert "失败的后台任务" in (await app_client.get("/admin")).text
