"""``/_emulator``: the local cloud's own controls, over HTTP (routed in ``routes``).

``GET``, ``POST`` (merge) and ``DELETE`` (clear) ``/_emulator/faults`` read and change the faults
(the JSON form of :mod:`.faults`); ``POST /_emulator/reset`` reseeds the store (``{"seed": false}``
leaves it empty). These requests are never faulted and need no token.
"""

from __future__ import annotations

from collections.abc import Callable

from .answers import NOT_FOUND, nova_fault
from .faults import Faults
from .store import Store
from .wsgi import Request, Response, json_response


class AdminAPI:
    """The handlers of ``/_emulator``; each takes the request.

    :param store: the state to reset.
    :param faults: the faults to show and change.
    :param reseed: fills the store on ``POST /_emulator/reset``.
    """

    def __init__(self, store: Store, faults: Faults, reseed: Callable[[Store], None]) -> None:
        self.store = store
        self.faults = faults
        self.reseed = reseed

    def answer(self, request: Request, call: Callable[[Request], Response]) -> Response:
        return call(request)

    def show_faults(self, request: Request) -> Response:
        return json_response(200, self.faults.to_dict())

    def merge_faults(self, request: Request) -> Response:
        try:
            spec = request.json()
        except ValueError:
            return nova_fault(400, "The faults body must be JSON.")
        if not isinstance(spec, dict):
            return nova_fault(400, "The faults body must be a JSON object.")
        try:
            self.faults.configure(spec)
        except ValueError as exc:
            return nova_fault(400, str(exc))
        return json_response(200, self.faults.to_dict())

    def clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return json_response(200, self.faults.to_dict())

    def faults_method_not_allowed(self, request: Request) -> Response:
        return nova_fault(405, "Use GET, POST or DELETE.")

    def reset(self, request: Request) -> Response:
        try:
            options = request.json() if request.body else {}
        except ValueError:
            return nova_fault(400, "The reset body must be JSON.")
        seeded = bool(options.get("seed", True)) if isinstance(options, dict) else True
        if seeded:
            self.reseed(self.store)
        else:
            self.store.reset()
        return json_response(200, {"reset": True, "seeded": seeded})

    def reset_method_not_allowed(self, request: Request) -> Response:
        return nova_fault(405, "Use POST.")

    def not_found(self, request: Request) -> Response:
        return nova_fault(404, NOT_FOUND)
