"""Text layout: labels placed without overlaps, and a check that a figure has none.

:func:`place_labels` tries a few offsets around each anchor point and keeps the first
whose rendered box stays inside the axes and clear of every label, marker and legend
already there; a label with no free spot is left out (and counted). It measures text with
the figure's renderer, so it runs after the layout is final: :func:`freeze_layout` draws
the figure once and fixes the constrained layout.

:func:`overlapping_texts` lists pairs of visible texts (and legends) whose rendered boxes
intersect; the figure tests assert it is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation, Text
    from matplotlib.transforms import Bbox

#: Offsets (points) tried around an anchor, nearest first: (dx, dy, ha, va).
_DIRS = (
    (1, 1, "left", "bottom"),
    (1, -1, "left", "top"),
    (-1, 1, "right", "bottom"),
    (-1, -1, "right", "top"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
)
_RADII = (5.0, 12.0, 22.0, 34.0)


def renderer_of(fig: Figure) -> Any:
    """The figure's renderer (drawing once so layout and text sizes are final)."""
    fig.canvas.draw()
    return fig.canvas.get_renderer()  # type: ignore[attr-defined]


def freeze_layout(fig: Figure) -> Any:
    """Draw ``fig`` (running its layout engine) and keep that layout; returns the renderer."""
    renderer = renderer_of(fig)
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")
    return renderer


def _overlap(a: Bbox, b: Bbox, pad: float = 0.0) -> bool:
    return not (
        a.x1 + pad <= b.x0 or b.x1 + pad <= a.x0 or a.y1 + pad <= b.y0 or b.y1 + pad <= a.y0
    )


def place_labels(
    ax: Axes,
    items: Sequence[tuple[float, float, str]],
    renderer: Any,
    *,
    avoid_points: Sequence[tuple[float, float]] = (),
    fontsize: float = 7.5,
    color: str = "#333333",
    centred: bool = False,
    **text_kw: Any,
) -> tuple[list[Annotation], int]:
    """Annotate ``(x, y, text)`` items (data coordinates) without overlaps.

    Returns the placed annotations and how many items found no free spot (left out).
    ``avoid_points`` (data coordinates) are markers the labels must not cover;
    ``centred`` tries the anchor itself (text centred on it) first.
    """
    import matplotlib.transforms as mtrans

    inside = ax.get_window_extent(renderer)
    taken: list[Bbox] = []
    for other in ax.texts:
        if other.get_visible() and other.get_text():
            taken.append(other.get_window_extent(renderer))
    legend = ax.get_legend()
    if legend is not None:
        taken.append(legend.get_window_extent(renderer))
    px = renderer.points_to_pixels(3.5)
    for x, y in avoid_points:
        cx, cy = ax.transData.transform((x, y))
        taken.append(mtrans.Bbox.from_extents(cx - px, cy - px, cx + px, cy + px))
    placed: list[Annotation] = []
    left_out = 0
    for x, y, text in items:
        done = False
        tries = [(0.0, (0, 0, "center", "center"))] if centred else []
        tries += [(r, d) for r in _RADII for d in _DIRS]
        for r, (dx, dy, ha, va) in tries:
            ann = ax.annotate(
                text,
                (x, y),
                xytext=(dx * r, dy * r),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize,
                color=color,
                annotation_clip=False,
                **text_kw,
            )
            box = ann.get_window_extent(renderer)
            fits = (
                box.x0 >= inside.x0
                and box.x1 <= inside.x1
                and box.y0 >= inside.y0
                and box.y1 <= inside.y1
                and not any(_overlap(box, t, pad=1.0) for t in taken)
            )
            if fits:
                taken.append(box)
                placed.append(ann)
                done = True
                break
            ann.remove()
        if not done:
            left_out += 1
    return placed, left_out


def _texts(fig: Figure) -> list[Any]:
    """Visible, drawn texts of ``fig`` (tick labels only for ticks inside the view) and
    its legends (one item each)."""
    from matplotlib.axis import Axis
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    legends = [a for a in fig.findobj(Legend) if a.get_visible()]
    skip = {id(t) for lg in legends for t in lg.findobj(Text)}
    drawn_ticks: list[Text] = []
    for axis in fig.findobj(Axis):
        for tick in axis.get_major_ticks() + axis.get_minor_ticks():
            skip.update((id(tick.label1), id(tick.label2)))
        update = getattr(axis, "_update_ticks", None)
        ticks = update() if update is not None else axis.get_major_ticks()
        if not axis.get_visible():
            continue
        for tick in ticks:
            drawn_ticks += [lb for lb in (tick.label1, tick.label2) if lb.get_visible()]
    out: list[Any] = [t for t in drawn_ticks if t.get_text().strip()]
    for t in fig.findobj(Text):
        if id(t) in skip or not t.get_visible() or not t.get_text().strip():
            continue
        out.append(t)
    return out + legends


def _corners(item: Any, renderer: Any) -> Any:
    """The four corners (display pixels) of a text's rotated box, or of a legend's box."""
    import numpy as np

    bb = item.get_window_extent(renderer)
    rot = float(item.get_rotation()) if hasattr(item, "get_rotation") else 0.0
    if rot % 90 == 0 or not hasattr(item, "get_rotation"):
        return np.array([[bb.x0, bb.y0], [bb.x1, bb.y0], [bb.x1, bb.y1], [bb.x0, bb.y1]])
    # the rotated rectangle is inscribed in its axis-aligned box, with the same centre
    th = np.deg2rad(rot % 180)
    c, s = abs(np.cos(th)), abs(np.sin(th))
    det = c * c - s * s
    if abs(det) < 1e-6:  # 45 degrees: sides are not recoverable, use the box
        return np.array([[bb.x0, bb.y0], [bb.x1, bb.y0], [bb.x1, bb.y1], [bb.x0, bb.y1]])
    w = (bb.width * c - bb.height * s) / det
    h = (bb.height * c - bb.width * s) / det
    rm = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    half = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2.0
    centre = np.array([(bb.x0 + bb.x1) / 2.0, (bb.y0 + bb.y1) / 2.0])
    return half @ rm.T + centre


def _convex_overlap(a: Any, b: Any, tol: float = 0.5) -> bool:
    """Separating-axis test of two convex quadrilaterals (overlap deeper than ``tol``)."""
    import numpy as np

    for poly in (a, b):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            normal = np.array([-edge[1], edge[0]])
            norm = float(np.hypot(*normal))
            if norm == 0:
                continue
            normal = normal / norm
            pa, pb = a @ normal, b @ normal
            if min(pa.max(), pb.max()) - max(pa.min(), pb.min()) <= tol:
                return False
    return True


def overlapping_texts(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of drawn texts/legends of ``fig`` whose rendered boxes overlap (by > 0.5 px).

    Rotated texts are compared as rotated rectangles; legends count as one box each (texts
    inside one legend are not compared with each other); tick labels count only for ticks
    inside the view.
    """
    renderer = renderer_of(fig)
    boxes = []
    for t in _texts(fig):
        bb = t.get_window_extent(renderer)
        if bb.width > 0 and bb.height > 0:
            boxes.append((t, _corners(t, renderer)))
    out = []
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if _convex_overlap(boxes[i][1], boxes[j][1]):
                out.append((_name(boxes[i][0]), _name(boxes[j][0])))
    return out


def _name(t: Any) -> str:
    get = getattr(t, "get_text", None)
    return repr(get()) if get is not None else type(t).__name__
