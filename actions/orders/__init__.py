"""Order tracking: the order-status form's validation and its answer."""
