"""The bottom layer: the fleet's nouns, the error hierarchy and the driver protocol.

Everything above uses it (``core``, ``drivers``, ``app``, ``cli``); it imports nothing of
bayops. See docs/architecture.md.
"""
