"""The compliance roll-up page: locations compared over the org tree, worst first, with a 12-week trend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request

from app.accounts import permissions as perms
from app.accounts.access import require_any_permission
from app.compliance import rollup
from app.compliance.status import portal_today
from app.inputs import page_number, parse_id
from app.templating import url_for_ids

bp = Blueprint("compliance_rollup", __name__, url_prefix="/team/compliance")

VIEWS = ("worst", "tree")
#: Locations a page of the list shows: a tenant's two thousand units in one table were 1.4 MB of HTML.
PER_PAGE = 50


@bp.route("/locations")
@require_any_permission(perms.TEAM_VIEW, perms.USERS_MANAGE, perms.AUDIT_VIEW)
def locations() -> Any:
    """The locations the viewer may compare, each over its subtree, worst first or as a tree; the trend."""
    today = portal_today()
    result = rollup.rollup_for(current_user, today, refresh=request.args.get("refresh") == "1")
    view = request.args.get("view", "worst")
    if view not in VIEWS:
        view = "worst"
    by_id = {row.id: row for row in result.tree}
    # A location outside the viewer's units (another tenant's, or above their own) is not offered: ignored.
    chosen = parse_id(request.args.get("location", ""))
    selected = by_id.get(chosen) if chosen is not None and chosen != result.top_unit_id else None
    live: dict[int | None, rollup.Counts] = {result.top_unit_id: result.total}
    if selected is not None:
        live[selected.id] = selected.counts
    series_ids: list[int | None] = [result.top_unit_id] + ([selected.id] if selected else [])
    points = rollup.trends(series_ids, live, today) if result.tree else {}
    top_name = by_id[result.top_unit_id].name if result.top_unit_id in by_id else _("All locations")
    series = [TrendSeries(top_name, points[result.top_unit_id], "primary")] if points else []
    if selected is not None:
        series.append(TrendSeries(selected.name, points[selected.id], "secondary"))
    ordered = result.tree if view == "tree" else result.rows
    pages = max(1, -(-len(ordered) // PER_PAGE))
    try:
        page = min(page_number(request.args.get("page", "1")), pages)
    except ValueError:
        page = 1
    rows = ordered[(page - 1) * PER_PAGE : page * PER_PAGE]
    on_page = {row.id for row in rows}
    return render_template(
        "compliance/rollup.html",
        result=result,
        rows=rows,
        # In the tree, a unit whose parent is on an earlier page says where it hangs.
        show_path={row.id for row in rows if view == "worst" or row.parent_id not in on_page},
        page=page,
        per_page=PER_PAGE,
        total_rows=len(ordered),
        view=view,
        selected=selected,
        chart=trend_chart(series) if series else None,
        may_drill=current_user.can(perms.TEAM_VIEW),
        whole_tenant=rollup.sees_whole_tenant(current_user),
        drill_url=url_for_ids("team.index", "location"),
        trend_url=url_for_ids("compliance_rollup.locations", "location", view=view, page=page),
        today=today,
    )


# ---------------------------------------------------------------- the trend chart's geometry


@dataclass(frozen=True)
class TrendSeries:
    name: str
    points: list[rollup.TrendPoint]
    tone: str  # primary | secondary: the line's style (solid or dashed, its marker round or square)


WIDTH, HEIGHT = 560, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 30, 16, 40


def trend_chart(series: list[TrendSeries]) -> dict[str, Any]:
    """Where each point of each series goes in a WIDTH x HEIGHT drawing; a gap breaks a line in segments."""
    count = max(len(s.points) for s in series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: int) -> float:
        return round(LEFT + (plot_w * index / (count - 1) if count > 1 else plot_w / 2), 1)

    def y(percent: int) -> float:
        return round(TOP + plot_h * (100 - percent) / 100, 1)

    drawn = []
    for line in series:
        segments: list[list[tuple[float, float]]] = []
        current: list[tuple[float, float]] = []
        dots = []
        for index, point in enumerate(line.points):
            if point.percent is None:
                if current:
                    segments.append(current)
                current = []
                continue
            spot = (x(index), y(point.percent))
            current.append(spot)
            dots.append({"x": spot[0], "y": spot[1], "point": point})
        if current:
            segments.append(current)
        drawn.append(
            {
                "series": line,
                "segments": [" ".join(f"{px},{py}" for px, py in segment) for segment in segments],
                "dots": dots,
            }
        )
    weeks = [point.week_start for point in series[0].points]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "grid": [{"percent": p, "y": y(p)} for p in (0, 25, 50, 75, 100)],
        "ticks": [
            {"x": x(i), "point": point, "text": _tick_text(point.week_start)}
            for i, point in enumerate(series[0].points)
            if i % 2 == (count - 1) % 2  # every other week, ending on today
        ],
        "lines": drawn,
        "weeks": weeks,
        "series": series,
    }


def _tick_text(day: Any) -> str:
    """A short day and month in the reader's language ("Sep 21", "21 sept.")."""
    from babel.dates import format_skeleton
    from flask_babel import get_locale

    return str(format_skeleton("MMMd", day, locale=get_locale() or "en"))
