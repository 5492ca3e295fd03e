"""The shopping cart."""
from __future__ import annotations

from dataclasses import dataclass, field

from shop.pricing import apply_discount, with_tax


@dataclass
class Line:
    sku: str
    price: float
    quantity: int = 1


@dataclass
class Cart:
    lines: list[Line] = field(default_factory=list)
    discount_percent: float = 0.0

    def add_item(self, sku: str, price: float, quantity: int = 1) -> None:
        for line in self.lines:
            if line.sku == sku:
                line.quantity += quantity
                return
        self.lines.append(Line(sku, price, quantity))

    def remove_item(self, sku: str) -> None:
        self.lines = [line for line in self.lines if line.sku != sku]

    def subtotal(self) -> float:
        return sum(line.price * line.quantity for line in self.lines)

    def total(self) -> float:
        """Subtotal after the discount, with tax."""
        return with_tax(apply_discount(self.subtotal(), self.discount_percent))
