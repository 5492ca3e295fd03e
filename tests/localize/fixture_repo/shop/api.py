"""Request handlers of the shop's HTTP API."""
from __future__ import annotations

from shop.cart import Cart
from shop.inventory import Inventory
from shop.util.text import slugify


def checkout(cart: Cart, inventory: Inventory) -> dict:
    for line in cart.lines:
        inventory.reserve(line.sku, line.quantity)
    return {"total": cart.total(), "items": len(cart.lines)}


def product_url(name: str) -> str:
    return "/products/" + slugify(name)
