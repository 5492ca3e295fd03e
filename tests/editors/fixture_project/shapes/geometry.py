"""Plane geometry helpers."""


def area(width, height):
    """Area of a width x height rectangle."""
    return width * height


class Rectangle:
    """An axis-aligned rectangle."""

    def __init__(self, width, height):
        self.width = width
        self.height = height

    def size(self):
        return area(self.width, self.height)
