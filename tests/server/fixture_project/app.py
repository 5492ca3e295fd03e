from geometry.shapes import Größe, fläche


def main() -> int:
    s = "😀😀"; g = Größe(3)
    return g.doppelt() + fläche(len(s), 2)
