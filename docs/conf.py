"""Sphinx configuration for rackimg-driver."""

import rackimg_driver

project = "rackimg-driver"
author = "rackimg-driver developers"
release = version = rackimg_driver.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.doctest", "sphinxarg.ext"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
exclude_patterns = ["_build"]
html_theme = "alabaster"
