"""Shapes: 😀 and 𠀀 take two UTF-16 units and four UTF-8 bytes each."""

EMOJI = "😀 𠀀 größe"


class Größe:
    """A size in ünits 😀."""

    def __init__(self, wert: int) -> None:
        self.wert = wert

    def doppelt(self) -> int:
        return fläche(self.wert, 2)


def fläche(𠀀breite: int, höhe: int) -> int:
    """Area of a rectangle: 𠀀breite × höhe."""
    return 𠀀breite * höhe
