"""The station's day at the counter, built on the core and the store: courier handovers,
return and delivery batches, problems resolved, the month's money."""
