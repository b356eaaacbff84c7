"""``convcanvas summary FILE [--json]``: the network as a table, like torchinfo's."""
from __future__ import annotations

import json

from ..analysis import Analysis, analyze
from ..catalogue import format_shape
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
    report = analyze(project.graph, batch_size=training.batch_size, optimizer=training.optimizer)
    print(json.dumps(summary_dict(project, report)) if args.json else summary_table(project, report))
    return 0 if report.valid else 1


def summary_dict(project: Project, report: Analysis) -> dict:
    nodes = []
    for node in project.graph.nodes.values():
        info = report.nodes[node.id]
        nodes.append({
            "id": node.id, "name": node.name, "type": node.type,
            "output_shape": list(info.output_shape) if info.output_shape else None,
            "params": info.params, "macs": info.macs,
            "issues": [{"severity": i.severity, "message": i.message, "hint": i.hint} for i in info.issues],
        })
    graph_issues = [{"severity": i.severity, "message": i.message, "hint": i.hint}
                    for i in report.issues if i.node_id is None]
    memory = report.memory
    return {"name": project.name, "valid": report.valid, "total_params": report.total_params,
            "total_macs": report.total_macs, "nodes": nodes, "issues": graph_issues,
            "training_memory_bytes": memory.training if memory else None}


def summary_table(project: Project, report: Analysis) -> str:
    graph = project.graph
    ordered = report.order + [n for n in graph.nodes if n not in report.order]
    rows = [("Layer", "Type", "Output shape", "Params", "MACs", "Issues")]
    for node_id in ordered:
        node, info = graph.nodes[node_id], report.nodes[node_id]
        shape = format_shape(info.output_shape) if info.output_shape else "?"
        rows.append((node.name, node.spec.title, shape, f"{info.params:,}", f"{info.macs:,}",
                     _issue_count(info.issues)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = "─" * (sum(widths) + 2 * (len(widths) - 1))

    def line(row):
        return "  ".join(cell.rjust(w) if i in (3, 4) else cell.ljust(w)
                         for i, (cell, w) in enumerate(zip(row, widths))).rstrip()

    out = [f"{project.name}" + (f" — {project.description}" if project.description else ""), rule, line(rows[0]),
           rule, *(line(row) for row in rows[1:]), rule,
           f"Total parameters: {report.total_params:,} ({_megabytes(report.total_params)} as float32)",
           f"Multiply-accumulates per image: {_human(report.total_macs)} ({report.total_macs:,})"]
    if report.memory is not None:
        out.append(f"Training memory: {report.memory.describe()}")
    if report.issues:
        out.append("")
        out.append(f"{len(report.errors)} error(s), {len(report.issues) - len(report.errors)} warning(s):")
        out.extend(f"  {issue.severity}: {issue}" for issue in report.issues)
    else:
        out.append("No problems found: the network is ready to train.")
    return "\n".join(out)


def _issue_count(issues) -> str:
    errors = sum(issue.severity == "error" for issue in issues)
    warnings = len(issues) - errors
    parts = [f"{errors} error" + "s" * (errors > 1)] if errors else []
    parts += [f"{warnings} warning" + "s" * (warnings > 1)] if warnings else []
    return ", ".join(parts) or "—"


def _human(count: int) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if count >= size:
            return f"{count / size:.2f} {unit}"
    return str(count)


def _megabytes(params: int) -> str:
    return f"{params * 4 / 2**20:.1f} MiB"
