"""Charts for the briefing: matplotlib with a located CJK font (never tofu boxes).

`find_cjk_font()` looks for a font file that really has the glyphs we draw (Noto/Source
Han, WenQuanYi, SimHei, Microsoft YaHei, PingFang…). When none is found the chart is
skipped and the caller says so: a chart of empty boxes is worse than no chart.
"""
from __future__ import annotations

import functools
from pathlib import Path

PREFERRED = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "Source Han Sans CN",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei",
             "PingFang SC", "Heiti SC", "Hiragino Sans GB", "Sarasa Gothic SC",
             "FandolHei", "Noto Serif CJK SC", "SimSun", "AR PL UMing CN")
PROBE = "已完成超序时滞后未报送领域项"
# done green, basic amber, undone red, missing grey (by position): the year-end traffic lights,
# as in the report's sheets and its 总览 chart (report_book.YEAR_CHART_COLORS)
YEAR_COLORS = ("#2e7d32", "#f9a825", "#e53935", "#bdbdbd")

# The quarter's statuses as the report's 总览 chart draws them (report_book.STATUS_CHART_COLORS):
# greens for done / ahead / on track, amber for 滞后, grey for 未报送. 滞后 was red here and blue
# 序时推进, so the briefing and the workbook disagreed; red is the 红灯 (挂牌督办) and the year's 未完成.
STATUS_COLORS = {"已完成": "#2e7d32", "超序时": "#66bb6a", "序时推进": "#a5d6a7",
                 "滞后": YEAR_COLORS[1], "未报送": "#bdbdbd"}


def _label_color(fill: str) -> str:
    """White on dark bars, dark grey on light ones (grey 未报送, amber 基本完成)."""
    r, g, b = (int(fill.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 160 else "#333333"


def _covers(path: str, text: str = PROBE, index: int = 0) -> bool:
    try:
        from matplotlib.ft2font import FT2Font
        font = FT2Font(path, face_index=index) if index else FT2Font(path)
        charmap = font.get_charmap()
    except Exception:
        return False
    return all(ord(ch) in charmap for ch in text)


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """Path of a font file able to draw Chinese, preferring well-known families."""
    from matplotlib import font_manager
    family = _registered_family()
    if family:
        return family[1]
    # Fonts matplotlib's cache does not list (e.g. .ttc collections on some systems).
    regular_first = sorted(font_manager.findSystemFonts(), key=lambda p: ("Regular" not in p, p))
    for path in regular_first:
        lowered = Path(path).name.lower()
        if any(key in lowered for key in ("cjk", "hei", "song", "kai", "fang", "yahei", "wqy", "han")):
            if _covers(path):
                return path
    return None


@functools.lru_cache(maxsize=1)
def _registered_family() -> tuple[str, str] | None:
    """(family, path) of a preferred CJK family matplotlib already knows. Collections (.ttc)
    are listed face by face, so "Noto Sans CJK SC" selects the Simplified Chinese glyphs."""
    from matplotlib import font_manager
    by_name: dict[str, list] = {}
    for e in font_manager.fontManager.ttflist:
        by_name.setdefault(e.name, []).append(e)
    for name in PREFERRED:
        for e in sorted(by_name.get(name, []), key=lambda e: ("Regular" not in e.fname, e.fname)):
            if _covers(e.fname, index=getattr(e, "index", 0) or 0):
                return name, e.fname
    return None


def _family_for(path: str) -> str:
    from matplotlib import font_manager
    known = _registered_family()
    if known and known[1] == path:
        return known[0]
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def status_by_domain(rows: list[tuple[str, dict[str, int]]], statuses: tuple[str, ...],
                     target: Path, *, title: str = "", colors: tuple[str, ...] | None = None) -> Path | None:
    """Horizontal stacked bars: one bar per 领域, one colour per status. Returns the PNG path,
    or None when no CJK font is available (the caller reports that)."""
    font_path = find_cjk_font()
    if font_path is None or not rows:
        return None
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    family = _family_for(font_path)
    names = [name for name, _ in rows][::-1]
    height = 0.8 + 0.3 * len(rows)
    with matplotlib.rc_context({"font.family": [family], "font.sans-serif": [family],
                                "axes.unicode_minus": False, "svg.hashsalt": "plankit"}):
        fig, ax = plt.subplots(figsize=(6.1, height), dpi=200)
        left = [0] * len(rows)
        for i, status in enumerate(statuses):
            values = [counts.get(status, 0) for _, counts in rows][::-1]
            if not any(values):
                continue
            bars = ax.barh(names, values, left=left, color=colors[i] if colors else STATUS_COLORS.get(status, "#888888"),
                           label=status, height=0.62, edgecolor="white", linewidth=0.6)
            for bar, v in zip(bars, values):
                if v:
                    ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2,
                            str(v), ha="center", va="center", fontsize=8,
                            color=_label_color(colors[i] if colors else STATUS_COLORS.get(status, "#888888")))
            left = [a + b for a, b in zip(left, values)]
        ax.set_xlabel("任务数（项）", fontsize=9)
        ax.tick_params(axis="y", labelsize=9)
        ax.tick_params(axis="x", labelsize=8)
        # the default locator is a MaxNLocator, which takes integer=; the stubs type it as the base Locator
        ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if title:
            ax.set_title(title, fontsize=10)
        ax.legend(ncol=5, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                  frameon=False, handlelength=1.2, columnspacing=1.0)
        fig.tight_layout()
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, format="png", metadata={"Software": None})
        plt.close(fig)
    return target
