"""Generating a report through the JSON API as its clients do: POST (202 and a job), then poll
the job's status_url until it has finished."""

from __future__ import annotations

import asyncio

POLL_SECONDS = 0.05
POLL_LIMIT = 60 / POLL_SECONDS  # a minute: the seed plan's report takes seconds


async def finished_job(client, plan_id: int, headers: dict, **body) -> dict:
    """POST the report request, check the 202 answer, and return the job once it is not
    running (state done with its report, or failed with its error)."""
    response = await client.post(f"/api/plans/{plan_id}/reports", json=body, headers=headers)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == job["status_url"] == f"/api/report-jobs/{job['id']}"
    polls = 0
    while job["state"] == "running":
        assert polls < POLL_LIMIT, job
        await asyncio.sleep(POLL_SECONDS)
        polls += 1
        answer = await client.get(job["status_url"], headers=headers)
        assert answer.status_code == 200, answer.text
        job = answer.json()
    return job


async def generated_report(client, plan_id: int, headers: dict, **body) -> dict:
    """The archived report the API made for the request (the job must have succeeded)."""
    job = await finished_job(client, plan_id, headers, **body)
    assert job["state"] == "done" and job["error"] is None, job
    assert job["done_steps"] == job["total_steps"]
    return job["report"]
