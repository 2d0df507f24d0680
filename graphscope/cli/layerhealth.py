"""The layer statistics and their diagnosis as train (and check) print them: `--layers` shows the table."""
from ..train.health import diagnose


def health_text(stats, when, show_table=False, hint=None):
    """'layer health after epoch 10 (...)' and one indented line per finding (or that none was found); with
    `show_table`, gs.layer_stats' table first; `hint` (e.g. 'add --layers for the table') ends a diagnosis
    that found something."""
    lines = []
    if show_table:
        lines += [f"layer statistics {when}:", stats.table(), ""]
    found = diagnose(stats)
    if not found:
        return "\n".join(lines + [f"layer health {when}: {found}"])
    lines.append(f"layer health {when}:")
    lines += [f"  {text}" for text in found.lines()]
    if hint and not show_table:
        lines.append(f"  ({hint})")
    return "\n".join(lines)
