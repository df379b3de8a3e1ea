"""``python -m rackimg_driver`` runs the ``rackimg`` command."""

from rackimg_driver.cli import console

console()
