"""Small helpers with no place in one layer: any layer above the engine may use them."""
