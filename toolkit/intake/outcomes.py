"""What became of each received file in a merge: the outcome codes and their Chinese labels."""
from __future__ import annotations

ACCEPTED, DUPLICATE, SUPERSEDED, REJECTED, SKIPPED = "accepted", "duplicate", "superseded", "rejected", "skipped"
OUTCOME_LABELS = {ACCEPTED: "已合并", DUPLICATE: "重复，未重复计入", SUPERSEDED: "已有更新版本，仅存档",
                  REJECTED: "拒收", SKIPPED: "跳过"}
