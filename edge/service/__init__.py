"""The service desk: tickets (工单), signed receipts (回单) and parcels sent (寄件).

Pure rules live in ``tickets``, ``receipts``, ``sends`` and ``provinces``; the store's
``ServiceSQL`` mixin keeps the records; ``cli`` registers the subcommands.
"""
