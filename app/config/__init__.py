"""The project config file (TOML): watchlists, saved studies, refresh schedules and PNG export.

The file is ``aftershock.toml`` in the working directory unless ``--config FILE`` (or
``AFTERSHOCK_CONFIG``) names another; see ``examples/aftershock.toml``. :func:`load_config`
parses and validates it once; every problem raises a :class:`~analytics.errors.ConfigError` naming
the file, the key, the bad value and the fix. Sections:

``[watchlists]``
    ``name = ["NVDA", ...]``: tickers a refresh keeps current up to the last completed session.
``[[studies]]``
    ``name`` (lower-case slug, unique; also the folder of its results and charts), ``tickers`` or
    ``watchlist``, ``event_date``, and optionally any other option of
    :class:`~analytics.study.options.StudyOptions` (``timing``, ``benchmark``, ``model``,
    ``estimation`` (``"-250:-11"``), ``windows`` (``["0:0", "-1:1"]``), ``returns``,
    ``min_estimation``, ``placebo``, ``seed``, ``spike_screen``, ...), validated by that model and
    with its defaults (those of ``aftershock study``).
``[[schedules]]``
    ``name``, ``cron`` (five crontab fields, e.g. ``"30 16 * * 1-5"``), ``timezone`` (default
    ``America/New_York``), ``sessions_only`` (default true: skip days that are not XNYS sessions
    in that zone) and ``studies`` (names; default: all).
``[[feeds]]``
    ``name`` (slug, unique) and ``url`` (``http(s)://``) of an RSS or Atom feed: ``refresh``
    stores its new items in the news folder (see :mod:`app.jobs.newswatch`).
``[export]``
    ``dir`` (default ``<store>/exports``; relative to the config file), ``format`` (png | svg),
    ``width``, ``height``, ``scale``.

Cron fields follow crontab(5) (day of week 0 or 7 = Sunday), not APScheduler's own numbering
(0 = Monday); restricting both the day of month and the day of week is refused, because crontab
fires when either matches and APScheduler only when both do.

>>> config = load_config("examples/aftershock.toml")  # doctest: +SKIP
>>> config.study("deepseek-chips").spec.window_keys  # doctest: +SKIP
('0:0', '-1:1', '-5:5')

Modules: :mod:`~app.config.project` (the value objects), :mod:`~app.config.load`
(:func:`load_config`), :mod:`~app.config.sections` (one reader per section),
:mod:`~app.config.context` (errors naming the file and key) and :mod:`~app.config.cron`
(crontab as APScheduler reads it).

May import :mod:`analytics` and, for type names only, :mod:`app.charts`; never
:mod:`app.dashboard`, :mod:`app.cli` or :mod:`app.jobs`.
"""

from app.config.load import load_config
from app.config.project import (
    DEFAULT_CONFIG,
    ExportConfig,
    Feed,
    ProjectConfig,
    SavedStudy,
    Schedule,
    find_config,
)

__all__ = [
    "DEFAULT_CONFIG",
    "ExportConfig",
    "Feed",
    "ProjectConfig",
    "SavedStudy",
    "Schedule",
    "find_config",
    "load_config",
]
