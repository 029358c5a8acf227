"""Jobs that run without a browser: the refresh of saved studies, its scheduler and the run archive.

Modules: :mod:`~app.jobs.refresh` (one refresh of saved studies), :mod:`~app.jobs.scheduler`
(cron schedules of refreshes), :mod:`~app.jobs.archive` (saved runs on disk, written atomically),
:mod:`~app.jobs.records` (what a run and a refresh record hold) and :mod:`~app.jobs.compare`
(two runs side by side).

May import :mod:`analytics`, :mod:`app.settings`, :mod:`app.config` and :mod:`app.charts`;
never :mod:`app.dashboard` or :mod:`app.cli`.
"""

__all__: list[str] = []
