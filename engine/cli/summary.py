"""``convcanvas summary FILE [--json]``: the network as a table, like torchinfo's."""
from __future__ import annotations

import json

from ..analysis import Analysis, analyze
from ..layer_table import float32_size, human_count, layer_rows
from ..project import Project
from .common import open_project


def register(subparsers) -> None:
    parser = subparsers.add_parser("summary", help="check a project and print its layers, shapes and costs")
    parser.add_argument("file", help="a project file (*.cnn.json)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(handler=run)


def run(args) -> int:
    project = open_project(args.file)
    training = project.training  # the memory estimate is for the batch size and optimizer it will train with
    report = analyze(project.graph, batch_size=training.batch_size, optimizer=training.optimizer, task=project.task)
    print(json.dumps(summary_dict(project, report)) if args.json else summary_table(project, report))
    return 0 if report.valid else 1


def summary_dict(project: Project, report: Analysis) -> dict:
    nodes = [{"id": row.node_id, "name": row.name, "type": row.type_id,
              "output_shape": list(row.output_shape) if row.output_shape else None,
              "params": row.params, "macs": row.macs,
              "issues": [{"severity": i.severity, "message": i.message, "hint": i.hint} for i in row.issues]}
             for row in layer_rows(project.graph, report)]
    graph_issues = [{"severity": i.severity, "message": i.message, "hint": i.hint}
                    for i in report.issues if i.node_id is None]
    memory = report.memory
    return {"name": project.name, "valid": report.valid, "total_params": report.total_params,
            "total_macs": report.total_macs, "nodes": nodes, "issues": graph_issues,
            "training_memory_bytes": memory.training if memory else None}


def summary_table(project: Project, report: Analysis) -> str:
    rows = [("Layer", "Type", "Output shape", "Params", "MACs", "Issues")]
    rows += [(row.name, row.type_title, row.shape_text, f"{row.params:,}", f"{row.macs:,}", row.issues_text)
             for row in layer_rows(project.graph, report)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = "─" * (sum(widths) + 2 * (len(widths) - 1))

    def line(row):
        return "  ".join(cell.rjust(w) if i in (3, 4) else cell.ljust(w)
                         for i, (cell, w) in enumerate(zip(row, widths))).rstrip()

    out = [f"{project.name}" + (f" — {project.description}" if project.description else ""), rule, line(rows[0]),
           rule, *(line(row) for row in rows[1:]), rule,
           f"Total parameters: {report.total_params:,} ({float32_size(report.total_params)} as float32)",
           f"Multiply-accumulates per image: {human_count(report.total_macs)} ({report.total_macs:,})"]
    if report.memory is not None:
        out.append(f"Training memory: {report.memory.describe()}")
    if report.issues:
        out.append("")
        out.append(f"{len(report.errors)} error(s), {len(report.issues) - len(report.errors)} warning(s):")
        out.extend(f"  {issue.severity}: {issue}" for issue in report.issues)
    else:
        out.append("No problems found: the network is ready to train.")
    return "\n".join(out)
