"""Pickup-code label printers: the pure label layout and its encoders (TSPL, ESC/POS,
PNG) beside the I/O (transports, the `station printer` loop, the simulated printer)."""
