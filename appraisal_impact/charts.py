"""Charts people can read and a screen reader can too: server-rendered SVG from matplotlib.

Pure: data in, SVG text out; no Flask, no database. Each chart carries the data it draws
(`Chart.x_labels`, `Chart.series`) so that a page shows exactly the same figures in a table beside
it. The SVG is an accessible image (`role="img"`, a `<title>` and a `<desc>` referenced by
`aria-labelledby`), has no fixed size (it scales to its container and prints), and is
byte-for-byte the same for the same data (`svg.hashsalt` fixed, no date in the metadata), so that
it can be cached and compared.

Lines differ by dash pattern and marker as well as colour, so that they read in greyscale and for
people who do not see colour (WCAG 1.4.1).
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape

import matplotlib

matplotlib.use("Agg")  # no display: render to files only

from matplotlib import rc_context  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import Formatter, MaxNLocator  # noqa: E402

# NHS identity colours (service manual, "Colours"), each with a dash pattern and marker of its own.
STYLES = (
    {"color": "#005eb8", "linestyle": "solid", "marker": None},  # NHS blue
    {"color": "#d5281b", "linestyle": (0, (6, 3)), "marker": None},  # red, dashed
    {"color": "#212b32", "linestyle": (0, (1, 2)), "marker": None},  # black, dotted
    {"color": "#007f3b", "linestyle": (0, (6, 2, 1, 2)), "marker": None},  # green, dash-dot
    {"color": "#7c2855", "linestyle": "solid", "marker": "o"},  # plum
    {"color": "#ed8b00", "linestyle": (0, (3, 3)), "marker": "s"},  # orange
    {"color": "#330072", "linestyle": "solid", "marker": "^"},  # purple
    {"color": "#4c6272", "linestyle": (0, (1, 1)), "marker": "D"},  # grey
)
BAR_HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")

RC = {
    "svg.fonttype": "none",  # text stays text: selectable, scalable, read by screen readers
    "svg.hashsalt": "appraisal-impact",  # deterministic element ids
    "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "Liberation Sans", "DejaVu Sans"],
    "font.size": 11,
    "axes.edgecolor": "#4c6272",
    "axes.labelcolor": "#212b32",
    "xtick.color": "#212b32",
    "ytick.color": "#212b32",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
WIDTH_INCHES = 8.0
HEIGHT_INCHES = 4.0


@dataclass(frozen=True)
class Series:
    """One line or set of bars: a label in the users' words and a value per x label."""

    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Marker:
    """A vertical line at x index `at` with a short label, e.g. "Chairs run out (with the pipeline)"."""

    at: int
    label: str


@dataclass(frozen=True)
class Chart:
    """A rendered chart and the data behind it.

    Attributes
    ----------
    chart_id : unique on the page; the ids of the SVG's title and description derive from it.
    title, description : what the chart shows, and its message in words.
    x_label : what the x axis counts, e.g. "Quarter starting".
    y_label : the unit of the values, e.g. "chair hours a week".
    x_labels, series : the data, as drawn and as the table beside it shows it.
    svg : the SVG document (no XML prolog), ready to place in a page.
    """

    chart_id: str
    title: str
    description: str
    x_label: str
    y_label: str
    x_labels: tuple[str, ...]
    series: tuple[Series, ...]
    markers: tuple[Marker, ...] = ()
    svg: str = field(default="", repr=False)

    @property
    def rows(self) -> list[tuple[str, list[float | None]]]:
        """Table rows: (x label, [value of each series])."""
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.x_labels)]


def _places(step: float) -> int:
    """Decimal places that show a tick step exactly: 50 -> 0, 0.5 -> 1, 0.25 -> 2, 0.02 -> 2."""
    step = abs(step)
    for places in range(7):
        if abs(round(step, places) - step) <= 1e-9 * max(step, 1e-12):
            return places
    return 6


class StepFormatter(Formatter):
    """Tick labels with as many decimals as the tick step needs, so that no two ticks read the same.

    A fixed one decimal place turned ticks 0.15 and 0.2 both into "0.2", and 0.02 and 0.04 both into
    "0.0". Money ticks share one scale (£, £k or £m), chosen from the largest tick.
    """

    def __init__(self, money: bool = False):
        self.money = money
        self.scale, self.suffix, self.places = 1.0, "", 0

    def set_locs(self, locs):
        super().set_locs(locs)
        values = sorted(float(v) for v in locs if math.isfinite(v))
        largest = max((abs(v) for v in values), default=0.0)
        self.scale, self.suffix = 1.0, ""
        if self.money and largest >= 1_000_000:
            self.scale, self.suffix = 1_000_000.0, "m"
        elif self.money and largest >= 1_000:
            self.scale, self.suffix = 1_000.0, "k"
        steps = [b - a for a, b in zip(values, values[1:]) if b - a > 0]
        self.places = _places(min(steps) / self.scale) if steps else 0

    def __call__(self, value, position=None) -> str:
        scaled = value / self.scale
        if abs(scaled) < 0.5 * 10 ** -self.places:
            return "£0" if self.money else "0"  # never "-0.0"
        text = f"{abs(scaled):,.{self.places}f}"
        sign = "-" if scaled < 0 else ""
        return f"{sign}£{text}{self.suffix}" if self.money else f"{sign}{text}"


def _clean(values: tuple[float | None, ...]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _tick_positions(n: int, most: int = 10) -> list[int]:
    if n <= most:
        return list(range(n))
    step = math.ceil(n / most)
    return list(range(0, n, step))


_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.S)


def _accessible(svg: str, chart_id: str, title: str, description: str) -> str:
    """Drop the prolog, fixed size and metadata; add role, title and desc."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    # Several charts share a page: give every id inside this one the chart's prefix.
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if ids:
        pattern = re.compile(r'(\bid="|#)(' + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r')(?=["\)])')
        svg = pattern.sub(lambda m: f"{m.group(1)}{chart_id}-{m.group(2)}", svg)
    match = _SVG_OPEN.search(svg)
    opening = match.group(0)
    new_opening = re.sub(r'\s(width|height)="[^"]*"', "", opening)
    new_opening = new_opening.replace(
        "<svg",
        f'<svg role="img" focusable="false" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMinYMin meet"',
        1,
    )
    heading = (
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    return svg[: match.start()] + new_opening + heading + svg[match.end() :]


def _render(figure: Figure, chart_id: str, title: str, description: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return _accessible(buffer.getvalue(), chart_id, title, description)


def _axes(y_label: str, x_label: str):
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), layout="constrained")
    ax = figure.add_subplot()
    ax.set_ylabel(y_label)
    ax.set_xlabel(x_label)
    ax.grid(axis="y", color="#d8dde0", linewidth=0.8)
    ax.set_axisbelow(True)
    return figure, ax


@lru_cache(maxsize=512)
def _line_svg(chart_id, title, description, x_label, y_label, x_labels, series, markers, money) -> str:
    with rc_context(RC):
        figure, ax = _axes(y_label, x_label)
        positions = list(range(len(x_labels)))
        for index, one in enumerate(series):
            style = STYLES[index % len(STYLES)]
            ax.plot(
                positions, _clean(one.values), label=one.label, color=style["color"],
                linestyle=style["linestyle"], marker=style["marker"], linewidth=2, markersize=4,
            )
        for index, marker in enumerate(markers):
            ax.axvline(marker.at, color="#425563", linewidth=1, linestyle=(0, (2, 2)))
            # one line of text per marker, stacked, so that markers in nearby quarters never overprint
            right_half = marker.at > (len(x_labels) - 1) / 2
            ax.annotate(
                marker.label, xy=(marker.at, 1), xycoords=("data", "axes fraction"),
                xytext=(-4 if right_half else 4, -3 - 14 * index), textcoords="offset points", va="top",
                ha="right" if right_half else "left", fontsize=9, color="#212b32",
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            )
        ticks = _tick_positions(len(x_labels))
        ax.set_xticks(ticks, [x_labels[i] for i in ticks], rotation=45, ha="right")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.yaxis.set_major_formatter(StepFormatter(money))
        # The axis need not start at zero: what matters is where lines cross, and the ticks say the scale.
        low, high = ax.get_ylim()
        ax.set_ylim(low, high + (high - low) * 0.08 * max(len(markers), 1))  # room for the marker labels
        if series:
            add_legend(figure, [one.label for one in series])
        return _render(figure, chart_id, title, description)


@lru_cache(maxsize=512)
def _bar_svg(chart_id, title, description, x_label, y_label, x_labels, series, stacked, money) -> str:
    with rc_context(RC):
        figure, ax = _axes(y_label, x_label)
        n = max(len(series), 1)
        width = 0.8 if stacked else 0.8 / n
        bottoms = [0.0] * len(x_labels)
        for index, one in enumerate(series):
            style = STYLES[index % len(STYLES)]
            values = [0.0 if v is None else float(v) for v in one.values]
            if stacked:
                positions = list(range(len(x_labels)))
                ax.bar(positions, values, width, bottom=bottoms, label=one.label, color=style["color"],
                       hatch=BAR_HATCHES[index % len(BAR_HATCHES)], edgecolor="white")
                bottoms = [b + v for b, v in zip(bottoms, values)]
            else:
                positions = [i - 0.4 + width * (index + 0.5) for i in range(len(x_labels))]
                ax.bar(positions, values, width, label=one.label, color=style["color"],
                       hatch=BAR_HATCHES[index % len(BAR_HATCHES)], edgecolor="white")
        ax.axhline(0, color="#4c6272", linewidth=0.8)
        ax.set_xticks(list(range(len(x_labels))), list(x_labels), rotation=30 if len(x_labels) > 5 else 0,
                      ha="right" if len(x_labels) > 5 else "center")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.yaxis.set_major_formatter(StepFormatter(money))
        if len(series) > 1:
            add_legend(figure, [one.label for one in series])
        return _render(figure, chart_id, title, description)


LEGEND_WRAP_CHARACTERS = 40


def add_legend(figure: Figure, labels: list[str]):
    """A legend below the axes that fits inside the figure: long labels wrap, and there are as many
    columns (at most three) as fit the width. A legend wider than the figure is cut off in the SVG."""
    labels = [textwrap.fill(label, LEGEND_WRAP_CHARACTERS) for label in labels]
    renderer = FigureCanvasAgg(figure).get_renderer()  # measures text as drawn
    for ncols in range(min(len(labels), 3), 0, -1):
        legend = figure.legend(figure.axes[0].get_legend_handles_labels()[0], labels, loc="outside lower center",
                               ncols=ncols, frameon=False, fontsize=10)
        if ncols == 1 or legend.get_window_extent(renderer).width <= figure.bbox.width * 0.98:
            return legend
        legend.remove()
    return legend


def _check(x_labels: tuple[str, ...], series: tuple[Series, ...]) -> None:
    for one in series:
        if len(one.values) != len(x_labels):
            raise ValueError(f"series {one.label!r} has {len(one.values)} values for {len(x_labels)} x labels")


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    x_labels: tuple[str, ...] | list[str],
    series: tuple[Series, ...] | list[Series],
    markers: tuple[Marker, ...] | list[Marker] = (),
    money: bool = False,
) -> Chart:
    """A line chart: one line per series over the x labels, with optional vertical markers."""
    x_labels, series, markers = tuple(x_labels), tuple(series), tuple(markers)
    _check(x_labels, series)
    svg = _line_svg(chart_id, title, description, x_label, y_label, x_labels, series, markers, money)
    return Chart(chart_id, title, description, x_label, y_label, x_labels, series, markers, svg)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    x_labels: tuple[str, ...] | list[str],
    series: tuple[Series, ...] | list[Series],
    stacked: bool = False,
    money: bool = False,
) -> Chart:
    """A bar chart: bars side by side (or stacked) for each x label."""
    x_labels, series = tuple(x_labels), tuple(series)
    _check(x_labels, series)
    svg = _bar_svg(chart_id, title, description, x_label, y_label, x_labels, series, stacked, money)
    return Chart(chart_id, title, description, x_label, y_label, x_labels, series, (), svg)
