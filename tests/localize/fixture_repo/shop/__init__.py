"""A tiny shop: carts, prices, stock."""
from shop.cart import Cart
from shop.inventory import Inventory

__all__ = ["Cart", "Inventory"]
