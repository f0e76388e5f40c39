"""A piano-roll picture of a piece with its chords, for ``lofid eval --plot``.

matplotlib comes with the ``train`` extra only (the daemon must stay light), so it is imported
here, when a picture is asked for, and its absence is a one-line error.
"""

from __future__ import annotations

import logging
import os

from lofid.errors import LofidError
from lofid.evaluation.metrics import Piece
from lofid.music.notes import BAR

_COLOURS = {"melody": "tab:red", "bass": "tab:green", "keys": "tab:blue"}
_MAX_WIDTH = 200  # inches; a long piece is squeezed rather than making an image no viewer opens


def plot(piece: Piece, path: str | os.PathLike, title: str) -> None:
    """Notes as bars (x in bars of 4/4, y in MIDI pitch), coloured by part; chords as shaded spans
    labelled at the top; bar lines every bar."""
    logging.getLogger("matplotlib").setLevel(logging.WARNING)  # its INFO ("generated new fontManager") is not ours
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise LofidError("--plot needs matplotlib: pip install 'lofid[train]' (or pip install matplotlib)") from None
    # x = bars from the start of the bar holding the first note, so bar lines fall on whole numbers
    first = piece.downbeat + (min(n.onset for n in piece.notes) - piece.downbeat) // BAR * BAR
    last = max(n.release for n in piece.notes)
    low, high = min(n.pitch for n in piece.notes) - 2, max(n.pitch for n in piece.notes) + 4
    bars = (last - first) / BAR
    fig, ax = plt.subplots(figsize=(min(_MAX_WIDTH, max(8.0, bars * 0.8)), 6))
    try:
        for part, colour in _COLOURS.items():
            rows: dict[int, list[tuple[float, float]]] = {}
            for n in piece.notes:
                if (n.part if n.part in _COLOURS else "keys") == part:
                    rows.setdefault(n.pitch, []).append(((n.onset - first) / BAR, (n.release - n.onset) / BAR))
            for i, (pitch, spans) in enumerate(rows.items()):
                ax.broken_barh(spans, (pitch - 0.4, 0.8), facecolors=colour, label=part if i == 0 else None)
        for i, chord in enumerate(c for c in piece.chords if c.end > first and c.start < last):
            x0, x1 = (max(chord.start, first) - first) / BAR, (min(chord.end, last) - first) / BAR
            ax.axvspan(x0, x1, color="0.9" if i % 2 else "0.96", zorder=0)
            if chord.label != "N":
                ax.text(x0, high - 1, chord.label.split(":")[0] + _short(chord.label), fontsize=7, va="bottom")
        for b in range(int(bars) + 1):
            ax.axvline(b, color="0.5", linewidth=0.6, zorder=0.5)
        ax.set_xlim(0, bars)
        ax.set_ylim(low, high + 1)
        ax.set_xlabel("bar")
        ax.set_ylabel("MIDI pitch")
        ax.set_title(f"{title} - key {piece.key}; chords {piece.sources.get('chords', '')}", fontsize=9)
        ax.legend(loc="lower right", fontsize=7)
        fig.tight_layout()
        fig.savefig(os.fspath(path), dpi=80)
    except OSError as e:
        raise LofidError(f"{path}: cannot write the picture ({e.strerror or e})") from None
    finally:
        plt.close(fig)


def _short(label: str) -> str:
    """``"A:min7"`` -> ``"m7"``: chord names that fit above a bar."""
    quality = label.partition(":")[2]
    return {"maj": "", "min": "m", "min7": "m7", "maj7": "maj7"}.get(quality, quality)
