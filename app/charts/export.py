"""Static export of figures (PNG/SVG) through one persistent headless Chromium.

Kaleido 1.x renders plotly figures in a real browser. Starting that browser costs a few seconds,
so :class:`FigureExporter` starts it once, on a private event loop in a background thread, and
renders every figure of an export (or of many exports, in a long-lived server) through it.
Kaleido finds the browser on ``PATH`` (``chromium``, ``google-chrome``, ...) unless it is given a
``browser_path``; the applications pass the ``BROWSER_PATH`` environment variable read by
:mod:`app.settings`. It cannot download a browser offline.

Examples
--------
>>> with FigureExporter() as exporter:  # doctest: +SKIP
...     paths = export_figures(figs, "out", exporter=exporter)
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import stat
import threading
import time
import zipfile
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, cast

import kaleido
import pandas as pd
import plotly.graph_objects as go
from choreographer.errors import BrowserFailedError, ChromeNotFoundError

from analytics.atomic import write_atomic
from analytics.errors import AftershockError, SourceError, SpecError

__all__ = [
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_SIDE",
    "FigureExporter",
    "ImageFormat",
    "check_image_size",
    "export_bundle",
    "export_figures",
    "safe_name",
]

logger = logging.getLogger(__name__)

ImageFormat = Literal["png", "svg"]
_T = TypeVar("_T")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_INSTALL_HINT = (
    "install Debian's chromium: apt-get install chromium "
    "(or point BROWSER_PATH at a Chrome/Chromium executable)"
)


def safe_name(name: str) -> str:
    """Check that ``name`` is a plain file stem: letters, digits, ``.``, ``_``, ``-``.

    Raises
    ------
    SpecError
        For path separators, ``..``, leading dots or any other character, so an export can
        never write outside its directory.
    """
    if not _NAME.fullmatch(name) or ".." in name:
        raise SpecError(
            f"figure name {name!r} is not a safe file name; use letters, digits, '.', '_' or '-'"
            " (no path separators, no '..')"
        )
    return name


_RELOAD_EVERY = 50
_NOT_READY = "kaleido_scopes is not defined"
"""What kaleido's page answers to a render that starts before its script has run: on a loaded
machine the first render of a new tab can, as kaleido does not wait for its page."""
_READY_ATTEMPTS = 3


class _TabReusingKaleido(kaleido.Kaleido):
    """Kaleido that reloads a tab every :data:`_RELOAD_EVERY` renders instead of after each.

    Kaleido reloads the page (and re-parses plotly.js) after every render, which is about two
    thirds of the cost of a chart. Output is byte-identical without it (tested); the periodic
    reload keeps a long-lived session's page state bounded. If a kaleido release renames the
    hook, this override is simply never called and every render reloads, as upstream does.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._renders: dict[int, int] = {}

    async def _return_kaleido_tab(self, tab: Any) -> None:
        count = self._renders.get(id(tab), 0) + 1
        if count >= _RELOAD_EVERY:
            self._renders[id(tab)] = 0
            await super()._return_kaleido_tab(tab)
        else:
            self._renders[id(tab)] = count
            await self.tabs_ready.put(tab)


def _size(fig: go.Figure, width: int, height: int) -> tuple[int, int]:
    """The figure's own layout size when it sets one (tall bar charts do), else the default."""
    return int(fig.layout.width or width), int(fig.layout.height or height)


MAX_IMAGE_SIDE = 16_384
"""Widest or tallest image in pixels (``width·scale``): Chromium's canvas limit."""
MAX_IMAGE_PIXELS = 100_000_000
"""Most pixels in one image (100 MP, some 400 MB of raw canvas in the browser)."""
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_image_size(width: int, height: int, scale: float) -> None:
    """Refuse an image size the browser cannot render (it answers a few garbage bytes).

    Raises
    ------
    SpecError
        When ``width·scale`` or ``height·scale`` exceeds :data:`MAX_IMAGE_SIDE` or their
        product :data:`MAX_IMAGE_PIXELS`; the message gives the pixel size and the limits.
    """
    if not (width > 0 and height > 0 and scale > 0):
        raise SpecError(
            f"--width/--height/--scale: {width}x{height} at scale {scale:g} must be positive"
        )
    w, h = round(width * scale), round(height * scale)
    if max(w, h) > MAX_IMAGE_SIDE or w * h > MAX_IMAGE_PIXELS:
        raise SpecError(
            f"--width/--height/--scale: {width}x{height} at scale {scale:g} is a {w}x{h} pixel "
            f"image; keep each side within {MAX_IMAGE_SIDE:,} pixels and the image within "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels (lower --scale or the size)"
        )


def _check_image(data: bytes, fmt: ImageFormat, w: int, h: int, scale: float) -> None:
    """Raise :class:`SourceError` unless ``data`` is a plausible PNG or SVG document."""
    if fmt == "png":
        valid = data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR"
    else:
        valid = b"<svg" in data[:1024]
    if not valid:
        raise SourceError(
            f"Chromium returned no {fmt.upper()} for a {w}x{h} figure at scale {scale:g} "
            f"({len(data)} bytes); lower --width/--height/--scale"
        )


class FigureExporter:
    """One headless Chromium session for rendering many figures; use as a context manager.

    Parameters
    ----------
    browser_path
        Chrome/Chromium executable; default: a lookup on ``PATH`` (the applications pass
        :attr:`app.settings.Settings.browser_path`, from ``BROWSER_PATH``).
    tabs
        Browser tabs rendering in parallel.
    timeout
        Seconds allowed for one figure.
    reuse_tabs
        Skip kaleido's page reload after each render (reload every 50 instead): about twice
        the throughput, identical images.

    Raises
    ------
    SourceError
        On entry, when no browser is found or it fails to start.
    """

    def __init__(
        self,
        *,
        browser_path: str | Path | None = None,
        tabs: int = 2,
        timeout: float = 60.0,
        reuse_tabs: bool = True,
    ) -> None:
        if tabs < 1:
            raise SpecError(f"tabs={tabs!r} must be at least 1")
        self._browser_path = browser_path
        self._tabs = tabs
        self._timeout = timeout
        self._kaleido_cls = _TabReusingKaleido if reuse_tabs else kaleido.Kaleido
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: kaleido.Kaleido | None = None

    def __enter__(self) -> Self:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="aftershock-kaleido", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            self._kaleido = self._run(self._open(), timeout=self._timeout)
        except BaseException:
            self._stop_loop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._kaleido is not None:
                self._run(self._kaleido.close(), timeout=self._timeout)
        finally:
            self._kaleido = None
            self._stop_loop()

    async def _open(self) -> kaleido.Kaleido:
        options: dict[str, Any] = {"path": str(self._browser_path)} if self._browser_path else {}
        try:
            # mathjax=False: the default loads MathJax from a CDN, which stalls offline.
            k = self._kaleido_cls(n=self._tabs, timeout=self._timeout, mathjax=False, **options)
        except ChromeNotFoundError as e:
            where = self._browser_path or "PATH"
            raise SourceError(
                f"no Chrome/Chromium found (looked at {where}); {_INSTALL_HINT}"
            ) from e
        try:
            await k.open()
        except (BrowserFailedError, OSError) as e:
            raise SourceError(f"Chromium failed to start: {e}; {_INSTALL_HINT}") from e
        logger.info("kaleido browser started with %s tabs", self._tabs)
        return k

    def _stop_loop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()
        self._loop, self._thread = None, None

    def _run(self, coro: Coroutine[Any, Any, _T], *, timeout: float) -> _T:
        if self._loop is None:
            coro.close()
            raise AftershockError("FigureExporter is not open; use it in a `with` block")
        future: Future[_T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            future.cancel()
            raise SourceError(f"Chromium did not render within {timeout:g} s") from None

    def render(
        self,
        figs: Sequence[go.Figure],
        *,
        fmt: ImageFormat = "png",
        width: int = 1200,
        height: int = 700,
        scale: float = 2,
    ) -> list[bytes]:
        """Render figures concurrently across the browser tabs; images in input order.

        ``width`` and ``height`` apply to figures whose layout sets no size of its own.
        """
        if fmt not in ("png", "svg"):
            raise SpecError(f"fmt={fmt!r} is not supported; use 'png' or 'svg'")
        k = self._kaleido
        if k is None:
            raise AftershockError("FigureExporter is not open; use it in a `with` block")
        opts: list[Any] = []
        for fig in figs:
            w, h = _size(fig, width, height)
            check_image_size(w, h, scale)
            opts.append({"format": fmt, "width": w, "height": h, "scale": scale})

        async def calc(fig: go.Figure, o: dict[str, Any]) -> bytes:
            for attempt in range(1, _READY_ATTEMPTS):
                try:
                    return cast(bytes, await k.calc_fig(fig, opts=o))
                except Exception as exc:  # kaleido's JavascriptError
                    if _NOT_READY not in str(exc):
                        raise
                    logger.info("kaleido's page was not ready; rendering again")
                    await asyncio.sleep(0.25 * attempt)
            return cast(bytes, await k.calc_fig(fig, opts=o))  # the last try raises as it is

        async def gather() -> list[bytes]:
            jobs = (calc(fig, o) for fig, o in zip(figs, opts, strict=True))
            return list(await asyncio.gather(*jobs))

        images = self._run(gather(), timeout=self._timeout * max(1, len(figs)))
        for data, o in zip(images, opts, strict=True):
            _check_image(data, fmt, o["width"], o["height"], scale)
        return images

    def to_png_bytes(
        self, fig: go.Figure, *, width: int = 1200, height: int = 700, scale: float = 2
    ) -> bytes:
        """Render one figure to PNG bytes (``width·scale`` × ``height·scale`` pixels)."""
        return self.render([fig], fmt="png", width=width, height=height, scale=scale)[0]


def export_figures(
    figs: Mapping[str, go.Figure],
    out_dir: str | Path,
    *,
    fmt: ImageFormat = "png",
    width: int = 1200,
    height: int = 700,
    scale: float = 2,
    exporter: FigureExporter | None = None,
    browser_path: str | Path | None = None,
) -> list[Path]:
    """Write each figure to ``out_dir/<name>.<fmt>`` atomically (temp file, fsync, rename).

    Parameters
    ----------
    figs
        Name → figure; names must pass :func:`safe_name`.
    out_dir
        Created if missing.
    fmt, width, height, scale
        Image format and size in CSS pixels (a PNG is ``width·scale`` pixels wide).
    exporter
        An open exporter to reuse; default: a new one for this call.
    browser_path
        The Chrome/Chromium executable of that new exporter (see :class:`FigureExporter`).

    Returns
    -------
    list[Path]
        Written files, in the order of ``figs``.
    """
    names = [safe_name(n) for n in figs]
    if fmt not in ("png", "svg"):
        raise SpecError(f"fmt={fmt!r} is not supported; use 'png' or 'svg'")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if exporter is None:
        with FigureExporter(browser_path=browser_path) as own:
            return export_figures(
                figs, out, fmt=fmt, width=width, height=height, scale=scale, exporter=own
            )
    images = exporter.render(list(figs.values()), fmt=fmt, width=width, height=height, scale=scale)
    paths = []
    for name, data in zip(names, images, strict=True):
        path = out / f"{name}.{fmt}"
        write_atomic(path, data)
        paths.append(path)
    logger.info("exported %s figures to %s", len(paths), out)
    return paths


def export_bundle(
    figs: Mapping[str, go.Figure],
    frames: Mapping[str, pd.DataFrame],
    json_text: str,
    *,
    width: int = 1200,
    height: int = 700,
    scale: float = 2,
    exporter: FigureExporter | None = None,
    documents: Mapping[str, str | bytes] | None = None,
) -> bytes:
    """Zip PNGs of the figures, CSVs of the frames, ``study.json`` and the ``documents``
    (file name → content, e.g. ``study.xlsx``), in memory.

    Members are regular files of mode 0644 (readable by whoever unpacks them, as a
    download should be), dated now.

    Returns
    -------
    bytes
        A zip archive: ``figures/<name>.png``, ``data/<name>.csv``, ``study.json`` and each
        document.
    """
    fig_names = [safe_name(n) for n in figs]
    frame_names = [safe_name(n) for n in frames]
    if exporter is None:
        with FigureExporter() as own:
            return export_bundle(
                figs,
                frames,
                json_text,
                width=width,
                height=height,
                scale=scale,
                exporter=own,
                documents=documents,
            )
    images = exporter.render(list(figs.values()), width=width, height=height, scale=scale)
    now = time.localtime()[:6]

    def member(name: str, compress: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=now)
        # writestr() with a bare name makes members 0600: unreadable to others once unpacked.
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        info.compress_type = compress
        return info

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in zip(fig_names, images, strict=True):
            # PNGs are already compressed.
            zf.writestr(member(f"figures/{name}.png", zipfile.ZIP_STORED), data)
        for name, frame in zip(frame_names, frames.values(), strict=True):
            text = frame.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n")
            zf.writestr(member(f"data/{name}.csv"), text)
        zf.writestr(member("study.json"), json_text)
        for name, content in (documents or {}).items():
            zf.writestr(member(safe_name(name)), content)
    return buffer.getvalue()
