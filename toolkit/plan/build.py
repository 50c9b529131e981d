"""Build a master workbook from a published plan's text plus small curated tables.

The bundled plan is reproducible: `plans/source/` holds the seed text and four
tab-separated tables kept by hand (settings, tasks' 领域 and units, indicators,
departments), so a reviewer can diff every change. Rebuild with

    python -m toolkit.plan.build plans/source plans/lianyungang-2019.xlsx
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

from toolkit.errors import PLAN_SEED, PlanError
from toolkit.model import Department, Indicator, Plan, Settings, Task
from toolkit.plan.workbook import split_units, write_plan
from toolkit.values import parse_number
from toolkit.plan.seed import parse_seed

SEED_GLOB = "*-seed.txt"


def _table(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()}
                for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


def build_plan(source: Path) -> Plan:
    """Combine the seed text and the curated tables in `source` into a Plan."""
    source = Path(source)
    seeds = sorted(source.glob(SEED_GLOB))
    if len(seeds) != 1:
        raise PlanError(f"{source} 中应有且只有一个 {SEED_GLOB} 文件，实际有{len(seeds)}个。", code=PLAN_SEED)
    title, seed_tasks = parse_seed(seeds[0].read_text(encoding="utf-8"))
    settings_rows = {r["项目"]: r["内容"] for r in _table(source / "settings.tsv")}
    settings = Settings(
        title=settings_rows.get("计划名称") or title,
        year=int(settings_rows["年度"]),
        issuer=settings_rows.get("编印单位", ""),
        plan_id=settings_rows.get("计划编号", ""),
        deadline_days=int(settings_rows.get("报送期限（季末后天数）") or 10),
        yellow=float(settings_rows.get("黄灯阈值（落后序时百分点）") or 10),
        red=float(settings_rows.get("红灯阈值（落后序时百分点）") or 30),
        return_to=settings_rows.get("报送对象", ""),
        bulletin_name=settings_rows.get("简报名称", "民生实事工作简报"),
        dept_note=settings_rows.get("部门说明", ""),
    )
    curated = {int(r["序号"]): r for r in _table(source / "tasks.tsv")}
    tasks = []
    for st in seed_tasks:
        row = curated.get(st.no)
        if row is None:
            raise PlanError(f"tasks.tsv 缺少第{st.no}项的领域和单位。", code=PLAN_SEED)
        tasks.append(Task(st.no, st.name, st.target, row["领域"], split_units(row["牵头单位"]),
                          split_units(row["配合单位"]), st.milestones))
    indicators = [
        Indicator(int(r["序号"]), r["指标名称"], r["单位"], r["方向"], parse_number(r["全年目标"]) or 0.0,
                  tuple(parse_number(r[q]) for q in ("一季度末", "二季度末", "三季度末", "四季度末")),  # type: ignore[arg-type]
                  r["责任单位"], r["依据"])
        for r in _table(source / "indicators.tsv")
    ]
    departments = [Department(r["部门"], r["联系人"], r["电话"], r["邮箱"])
                   for r in _table(source / "departments.tsv")]
    return Plan(settings, tasks, indicators, departments)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print("用法：python -m toolkit.plan.build 源目录 输出.xlsx", file=sys.stderr)
        return 2
    plan = build_plan(Path(args[0]))
    write_plan(plan, Path(args[1]))
    print(f"已生成 {args[1]}：{len(plan.tasks)}项任务，{len(plan.indicators)}个指标，{len(plan.departments)}个部门")
    return 0


if __name__ == "__main__":
    sys.exit(main())
