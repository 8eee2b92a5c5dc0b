"""``python -m tether``: the same as the ``tether`` command."""

from tether._cli.main import main

main()
