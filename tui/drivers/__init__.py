"""Drivers: how the core reaches hardware, each implementing ``tui.model.driver.Driver``.

A driver imports only the model layer and its own modules; the core picks one
(``tui.core.driver_factory``) and hands it its own config section.
"""
