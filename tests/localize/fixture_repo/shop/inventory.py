"""Stock levels and reservations."""
from __future__ import annotations


class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self) -> None:
        self.stock: dict[str, int] = {}
        self.reserved: dict[str, int] = {}

    def restock(self, sku: str, quantity: int) -> None:
        self.stock[sku] = self.stock.get(sku, 0) + quantity

    def reserve(self, sku: str, quantity: int) -> None:
        available = self.stock.get(sku, 0) - self.reserved.get(sku, 0)
        if quantity > available:
            raise OutOfStock(sku)
        self.reserved[sku] = self.reserved.get(sku, 0) + quantity

    def release(self, sku: str, quantity: int) -> None:
        self.reserved[sku] = self.reserved.get(sku, 0) - quantity
