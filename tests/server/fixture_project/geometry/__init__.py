"""Geometry with non-ASCII names: positions after them differ in UTF-8, UTF-16 and code points."""
from .shapes import Größe, fläche
