"""Prices: discounts, taxes and rounding."""
from __future__ import annotations

TAX_RATE = 0.2


def round_price(amount: float) -> float:
    """Round to cents."""
    return round(amount, 2)


def apply_discount(amount: float, percent: float) -> float:
    """Take `percent` off `amount`."""
    if percent < 0 or percent > 100:
        raise ValueError(f"discount out of range: {percent}")
    return round_price(amount * (1 - percent / 100))


def with_tax(amount: float) -> float:
    return round_price(amount * (1 + TAX_RATE))
