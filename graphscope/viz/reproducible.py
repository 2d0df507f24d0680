"""The same picture, byte for byte, every time it is drawn.

Graphviz 2.43 writes the (empty) groups of invisible clusters in an order that changes from run to run (it
follows memory addresses), and Cairo stamps every PDF with the time it was made. ``steady`` takes both out:
the empty groups draw nothing and go; the PDF's creation date is blanked, or set from ``SOURCE_DATE_EPOCH``
when that is given (https://reproducible-builds.org/specs/source-date-epoch/).
"""
import os
import re
import time

#: The <g> of a cluster that draws nothing (an invisible one): a title and no shape.
_EMPTY_CLUSTER = re.compile(rb'<g id="clust\d+" class="cluster">\s*<title>[^<]*</title>\s*</g>\s*')
#: Cairo's creation date in a PDF's information dictionary.
_CREATION_DATE = re.compile(rb"/CreationDate \((D:[^)]*)\)")


def steady(data, fmt):
    """`data`, the bytes `dot` drew in format `fmt`, with what varies from run to run taken out."""
    if fmt == "svg":
        return _EMPTY_CLUSTER.sub(b"", data)
    if fmt == "pdf":
        return _CREATION_DATE.sub(_fixed_date, data, count=1)
    return data


def pdf_date(epoch):
    """A PDF date for seconds since 1970 (UTC): 'D:20261129131047Z'."""
    return time.strftime("D:%Y%m%d%H%M%SZ", time.gmtime(epoch))


def source_date_epoch():
    """SOURCE_DATE_EPOCH as a whole number of seconds, or None (unset or not a number)."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(text) if text.isdigit() else None


def _fixed_date(match):
    """The date entry in as many bytes as before (a PDF's cross-reference table counts bytes): SOURCE_DATE_EPOCH's
    date, or spaces where the entry was (the PDF then has no creation date)."""
    old = match.group(0)
    epoch = source_date_epoch()
    if epoch is not None:
        new = f"/CreationDate ({pdf_date(epoch)})".encode("ascii")
        if len(new) == len(old):
            return new
    return b" " * len(old)
