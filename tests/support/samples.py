"""Sample data shared by the tests: the project's paths, the 2018 seed plan, and MINIMAL, the
smallest plan template that exercises units, sub-tasks, milestones and an ongoing task."""

from __future__ import annotations

import textwrap
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEED_TEXT = PROJECT_ROOT / "plan_templates" / "suzhou_planning_2018.txt"
SEED_TEMPLATE = PROJECT_ROOT / "plan_templates" / "suzhou_planning_2018.yaml"

MINIMAL = textwrap.dedent("""\
    plan:
      title: 测试计划
      issuer: 测试局
      doc_number: 测办〔2018〕1号
      issued_on: 2018-03-01
      year: 2018
    units: [局办公室, 法规处]
    milestones:
      - {title: 半年小结, due_on: 2018-06-30}
    sections:
      - number: 一
        title: 第一部分
        items:
          - number: （一）
            title: 事项
            tasks:
              - number: 1
                text: 做好公开
                lead_units: [局办公室]
                cooperating_units: [法规处]
                deadline_text: 2018年12月底前
                deadline: 2018-12-31
                milestones: [{title: 三季度, due_on: 2018-09-30}]
                subtasks:
                  - text: 子任务
                    lead_units: [法规处]
              - text: 持续任务
                deadline: ongoing
    """)
