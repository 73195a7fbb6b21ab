"""Head office's own page (zh by default, en): the fleet, a parcel's timeline, problem
parcels, counts with CSV, and the records stations send. Mounted under /ho/ by
``create_app`` (``pages.blueprint``); signed-in operators only.

The package itself imports nothing, so `station head-office operator …` loads no Flask.
"""
