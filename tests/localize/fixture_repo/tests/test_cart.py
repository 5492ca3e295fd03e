from shop.cart import Cart


def test_total_applies_discount_and_tax():
    cart = Cart(discount_percent=10)
    cart.add_item("apple", 1.0, 3)
    assert cart.total() == 3.24
