"""Schedules migrate does not rewrite (rq-scheduler entries, django-celery-beat tasks): the reason names them."""

from __future__ import annotations

from pathlib import Path

from ci_fixtures.scans import init_repo
from typer.testing import CliRunner, Result

from polldetox.cli import app

RQ_TASKS = """\
def sync_user_details(db):
    return db.execute("SELECT id, active_at FROM users").fetchall()
"""

RQ_SCHEDULE = """\
from datetime import timedelta

from rq_scheduler import Scheduler

from app.tasks import sync_user_details


def refresh_queries(db):
    return db.execute("SELECT id FROM queries").fetchall()


def periodic_job_definitions():
    jobs = [
        {"func": refresh_queries, "timeout": 600, "interval": 30, "result_ttl": 600},
        {
            "func": sync_user_details,
            "timeout": 60,
            "interval": timedelta(minutes=1),
        },
    ]
    return jobs


def schedule_periodic_jobs(scheduler: Scheduler):
    for job in periodic_job_definitions():
        scheduler.schedule(scheduled_time=None, **job)
"""

AUTOMOD_TASK = '''\
from celery import shared_task
from django.db import connection


@shared_task
def automod_task():
    """Flag new reports against the automod rules."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, string_match FROM moderation_automodrule")
        return cursor.fetchall()
'''

AUTOMOD_VIEW = '''\
from django.db import transaction
from django.shortcuts import redirect
from django_celery_beat.models import IntervalSchedule, PeriodicTask


def schedule_automod_task(request):
    """Run the automod rules every few minutes, as the moderator chose."""
    with transaction.atomic():
        schedule, _ = IntervalSchedule.objects.get_or_create(every=5, period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.get_or_create(
            interval=schedule,
            name="automod-task",
            task="moderation.tasks.automod_task",
        )
    return redirect("settings-automod")
'''


def project(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").parent.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n')
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    init_repo(root)
    return root


def migrate(root: Path, table: str) -> Result:
    return CliRunner().invoke(app, ["migrate", table, "--dry-run", "--root", str(root)])


def test_an_rq_scheduler_entry_is_named_with_its_job(tmp_path: Path) -> None:
    root = project(
        tmp_path / "redash", {"app/__init__.py": "", "app/tasks.py": RQ_TASKS, "app/schedule.py": RQ_SCHEDULE}
    )
    done = migrate(root, "users")
    assert done.exit_code == 1, done.output
    assert done.stdout == ""
    assert done.stderr == (
        "Skipped app/schedule.py:15: an rq-scheduler job entry (sync_user_details): only APScheduler add_job "
        "statements and Celery beat schedule entries are rewritten; remove the entry and register "
        "sync_user_details on users_changed by hand\n"
    )


def test_a_django_celery_beat_periodic_task_is_named_with_its_task(tmp_path: Path) -> None:
    files = {"moderation/__init__.py": "", "moderation/tasks.py": AUTOMOD_TASK, "moderation/views.py": AUTOMOD_VIEW}
    root = project(tmp_path / "library", files)
    done = migrate(root, "moderation_automodrule")
    assert done.exit_code == 1, done.output
    assert done.stderr == (
        "Skipped moderation/views.py:10: a django-celery-beat PeriodicTask (automod_task), a schedule kept in the "
        "database: only APScheduler add_job statements and Celery beat schedule entries are rewritten; remove the "
        "code that creates it, delete the periodic task, and register automod_task on moderation_automodrule_changed "
        "by hand\n"
    )
    assert "schedule_automod_task" not in done.stderr
