"""Words in messages: counted nouns and "did you mean" suggestions."""
import difflib


def plural(count, noun, nouns=None):
    """'1 node', '3 nodes' ('1 box', '2 boxes' with `nouns` given)."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def close_names(word, names, limit=3):
    """The names nearest to a misspelled `word`, best first (none when nothing is near)."""
    names = sorted(set(names))
    close = difflib.get_close_matches(word, names, n=limit, cutoff=0.6)
    close.sort(key=lambda n: (-difflib.SequenceMatcher(None, word, n).ratio(), n))
    lowered = {n.lower(): n for n in names}
    if not close and word.lower() in lowered:
        close = [lowered[word.lower()]]
    if not close:
        close = [n for n in names if word and word in n][:limit]
    return close


def did_you_mean(word, names):
    """'; did you mean h1 or h2?' for a misspelled `word` among `names` ('' when nothing is near)."""
    close = close_names(word, names)
    if not close:
        return ""
    shown = [repr(n) for n in close]
    words = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return f"; did you mean {words}?"
