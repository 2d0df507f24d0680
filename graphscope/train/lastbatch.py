"""How an epoch splits into batches, and the last batch that batch norm cannot train on.

Batch norm in training mode normalizes by the batch's own mean and variance, so it needs at least 2 examples a
batch: n examples in batches of b leave a last batch of n % b, and a last batch of 1 would stop a run midway.
It is found before training starts, with the fix in the caller's words (drop_last=True or --drop-last).
"""
from ..engine.source import display_location


def batch_count(n, batch_size, drop_last=False):
    """Batches per epoch of `n` examples: the last smaller one left out with `drop_last` (fewer examples than
    one batch still make one batch of them all)."""
    if drop_last and n >= batch_size:
        return n // batch_size
    return -(-n // batch_size)


def last_batch_size(n, batch_size, drop_last=False):
    """The size of an epoch's last batch."""
    if n <= batch_size:
        return n
    return batch_size if drop_last or not n % batch_size else n % batch_size


def _batch_norm_nodes(graph):
    return [node for node in graph.ops if node.op == "batch_norm"]


def safe_batch_size(n, batch_size):
    """The batch size nearest `batch_size` (larger first) whose last batch of `n` examples is not 1 example."""
    for step in range(1, n):
        for size in (batch_size + step, batch_size - step):
            if 2 <= size <= n and last_batch_size(n, size) != 1:
                return size
    return None


def last_batch_problem(graph, n, batch_size, drop_last=False, drop_option="drop_last=True",
                       size_option="batch_size"):
    """Why `graph` cannot train on `n` examples in batches of `batch_size` (a batch of 1 example reaching batch
    norm in training mode: the batch size, the last batch's size and the fix), or None."""
    if last_batch_size(n, batch_size, drop_last) != 1:
        return None
    norms = _batch_norm_nodes(graph)
    if not norms:
        return None
    first = norms[0]
    where = f"{first.scope or first.name}, made at {display_location(first.source)}"
    needs = (f"batch norm in training mode ({where}) normalizes by each batch's own statistics and needs at "
             f"least 2 examples a batch")
    if n == 1:
        return f"1 training example: {needs}; give it more examples"
    other = safe_batch_size(n, batch_size)
    instead = f" or another {size_option} (e.g. {other})" if other else ""
    return (f"{size_option} {batch_size} splits the {n} training examples into {n // batch_size} batches of "
            f"{batch_size} and a last batch of 1 example: {needs}; pass {drop_option} (leave each epoch's last "
            f"example out, another one each epoch when shuffled){instead}")
